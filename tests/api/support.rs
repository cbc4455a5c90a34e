//! Shared steps for contest tests: an installed page, contests, fan browsers.

use fanfare::platform::sandbox::seed::{ADMIN_ALEX, BRAND_PAGE};
use serde_json::{json, Value};

use crate::accounts::{admin_token, browser, through_dialog};
use crate::helpers::TestApp;

pub struct Installed {
    pub token: String,
    pub page_id: i64,
}

/// Alex installs Fanfare; returns his API token and the brand page's id.
pub async fn installed(app: &TestApp) -> Installed {
    let token = admin_token(app, ADMIN_ALEX).await;
    let pages: Value = app
        .client
        .get(app.url("/api/v1/pages"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page_id = pages["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["fb_page_id"] == BRAND_PAGE)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    Installed { token, page_id }
}

pub async fn api(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A UGC contest, opened, with the given extra fields.
pub async fn open_contest(app: &TestApp, inst: &Installed, extra: Value) -> Value {
    let mut body = json!({
        "page_id": inst.page_id,
        "kind": "ugc",
        "title": "Design your own shirt",
        "description": "Send us your best shirt idea.",
        "prize": "Your design printed, plus 500 USD",
        "rules_text": "Open to residents of any country aged 13 or over. One entry per person.",
        "auto_approve": false,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, contest) = api(app, &inst.token, "POST", "/api/v1/contests", Some(body)).await;
    assert_eq!(status, 201, "{contest}");
    let id = contest["id"].as_i64().unwrap();
    let (status, opened) = api(
        app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{id}/transition"),
        Some(json!({"to": "open"})),
    )
    .await;
    assert_eq!(status, 200, "{opened}");
    opened
}

/// A fan's browser that has loaded the contest page; returns the CSRF token.
pub async fn fan_page(app: &TestApp, b: &reqwest::Client, slug: &str) -> String {
    let r = b.get(app.url(&format!("/c/{slug}"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    csrf_of(&html)
}

pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html
        .find(marker)
        .expect("page has a form with a CSRF token")
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// A fan logged in with Facebook (through the sandbox dialog).
pub async fn fan_logged_in(app: &TestApp, fan_id: &str, slug: &str) -> reqwest::Client {
    let b = browser();
    let callback = through_dialog(
        app,
        &b,
        &format!("/auth/fan/login?page={BRAND_PAGE}&return_to=/c/{slug}"),
        fan_id,
    )
    .await;
    let r = b.get(callback).send().await.unwrap();
    assert_eq!(r.status(), 302);
    b
}

/// Submits the entry form (urlencoded) and returns status and body.
pub async fn enter(
    app: &TestApp,
    b: &reqwest::Client,
    slug: &str,
    csrf: &str,
    fields: &[(&str, &str)],
    json: bool,
) -> (u16, String) {
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf)];
    form.extend_from_slice(fields);
    let mut req = b.post(app.url(&format!("/c/{slug}/enter"))).form(&form);
    if json {
        req = req.header("accept", "application/json");
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A fan logs in with Facebook and votes for an entry (JSON answer).
pub async fn vote_as(app: &TestApp, fan_id: &str, slug: &str, entry: i64) -> (u16, Value) {
    let voter = fan_logged_in(app, fan_id, slug).await;
    let csrf = fan_page(app, &voter, slug).await;
    vote(app, &voter, slug, &csrf, entry).await
}

/// An existing browser votes for an entry (JSON answer).
pub async fn vote(
    app: &TestApp,
    b: &reqwest::Client,
    slug: &str,
    csrf: &str,
    entry: i64,
) -> (u16, Value) {
    let r = b
        .post(app.url(&format!("/c/{slug}/vote/{entry}")))
        .header("accept", "application/json")
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// The entry id from a JSON entry answer.
pub fn entry_id(body: &str) -> i64 {
    serde_json::from_str::<Value>(body).unwrap()["entry"]["id"]
        .as_i64()
        .unwrap()
}

/// The value of one Prometheus series in `/metrics` text (`name{labels}` exactly as
/// rendered), or 0 when the series is absent.
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
                .map(|v| v.trim().parse::<f64>().unwrap())
        })
        .unwrap_or(0.0)
}

pub async fn scrape(app: &TestApp) -> String {
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// The fan's own part of the fan page (`/c/{slug}/me`, as a page), which the
/// page loads when it opens: entries, votes, points, invite link.
pub async fn my_part(app: &TestApp, b: &reqwest::Client, slug: &str) -> String {
    let r = b
        .get(app.url(&format!("/c/{slug}/me")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}
