//! The logs of a full flow (install through OAuth, a signed webhook and its job,
//! a contest, an entry with an email, a fan's Facebook login and vote) carry no
//! secret, token, OAuth code or email.
//!
//! A binary of its own, because it installs the process-wide subscriber (the
//! production JSON format, at debug level for every crate) writing into memory.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "api/proxy.rs"]
mod proxy;

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use fanfare::config::{LogFormat, LogSettings};
use fanfare::platform::facebook::signature::sign_sha256;
use fanfare::platform::sandbox::seed::{ADMIN_ALEX, BRAND_PAGE, FIRST_FAN};
use serde_json::{json, Value};

use helpers::{count, spawn_app, TestApp};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Captured {
    type Writer = Captured;
    fn make_writer(&'w self) -> Captured {
        self.clone()
    }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

/// Starts a sign-in at `start_path`, approves the sandbox dialog as `user_id`
/// and follows the callback; returns the callback's answer.
async fn sign_in(
    app: &TestApp,
    b: &reqwest::Client,
    start_path: &str,
    user_id: &str,
) -> reqwest::Response {
    let r = b.get(app.url(start_path)).send().await.unwrap();
    assert_eq!(r.status(), 302, "{start_path}");
    let q: HashMap<String, String> = url::Url::parse(&location(&r))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let r = b
        .post(app.url("/sandbox/dialog/oauth/decide"))
        .form(&[
            ("client_id", q["client_id"].as_str()),
            ("redirect_uri", q["redirect_uri"].as_str()),
            ("state", q["state"].as_str()),
            ("scope", q["scope"].as_str()),
            ("user_id", user_id),
            ("grant", "email"),
            ("grant", "user_friends"),
            ("action", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let callback = location(&r);
    let r = b.get(callback).send().await.unwrap();
    assert_eq!(r.status(), 302);
    r
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

async fn api(app: &TestApp, token: &str, method: &str, path: &str, body: Value) -> Value {
    let r = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_full_flow_logs_no_secret_token_code_or_email() {
    let logs = Captured::default();
    fanfare::telemetry::init_with_writer(
        &LogSettings {
            format: LogFormat::Json,
            // cookie_store logs only the test browsers' own cookie jars (the server
            // never enables a cookie store), which hold the sessions by design.
            level: "debug,cookie_store=off".into(),
        },
        logs.clone(),
    );
    let app = spawn_app().await;

    // Install: the admin signs in through the OAuth dialog (code, token exchange,
    // long-lived upgrade, page tokens, subscriptions).
    let admin = browser();
    let r = sign_in(&app, &admin, "/auth/facebook/login", ADMIN_ALEX).await;
    let session = r
        .cookies()
        .find(|c| c.name() == "fanfare_admin")
        .expect("admin session")
        .value()
        .to_string();

    // A signed webhook, stored and processed by a job.
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/facebook/webhooks/feed-comment-add.json"
    ))
    .unwrap();
    let signature = sign_sha256(&body, app.app_secret().as_bytes());
    let r = app
        .client
        .post(app.url("/webhooks/facebook"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", &signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.eventually("the webhook event processed", |c| {
        count(c, "webhook_events WHERE processed_at IS NOT NULL") > 0
            && count(c, "webhook_events WHERE processed_at IS NULL") == 0
            && count(c, "jobs WHERE kind = 'process_deliveries'") == 0
    })
    .await;

    // A contest, and an entry with an email.
    let pages = api(&app, &session, "GET", "/api/v1/pages", Value::Null).await;
    let page_id = pages["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["fb_page_id"] == BRAND_PAGE)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let contest = api(
        &app,
        &session,
        "POST",
        "/api/v1/contests",
        json!({"page_id": page_id, "kind": "ugc", "title": "Logs", "auto_approve": true,
               "rules_text": "Open to residents of any country aged 13 or over. One entry per person."}),
    )
    .await;
    let id = contest["id"].as_i64().unwrap();
    let opened = api(
        &app,
        &session,
        "POST",
        &format!("/api/v1/contests/{id}/transition"),
        json!({"to": "open"}),
    )
    .await;
    let slug = opened["slug"].as_str().unwrap().to_string();
    let email = "Private.Person+logs@fan-example.io";
    let fan = browser();
    let html = fan
        .get(app.url(&format!("/c/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = fan
        .post(app.url(&format!("/c/{slug}/enter")))
        .header("accept", "application/json")
        .form(&[
            ("csrf_token", csrf_of(&html).as_str()),
            ("email", email),
            ("text", "my idea"),
            ("accept_rules", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let entry: Value = r.json().await.unwrap();
    let entry_id = entry["entry"]["id"].as_i64().unwrap();

    // A fan signs in with Facebook (OAuth) and votes.
    let voter = browser();
    let fan_id = (FIRST_FAN + 7).to_string();
    let r = sign_in(
        &app,
        &voter,
        &format!("/auth/fan/login?page={BRAND_PAGE}&return_to=/c/{slug}"),
        &fan_id,
    )
    .await;
    let fan_session = r
        .cookies()
        .find(|c| c.name() == "fanfare_fan")
        .expect("fan session")
        .value()
        .to_string();
    let html = voter
        .get(app.url(&format!("/c/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = voter
        .post(app.url(&format!("/c/{slug}/vote/{entry_id}")))
        .header("accept", "application/json")
        .form(&[("csrf_token", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Let the workers and the sandbox sender finish what they log.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    // Everything that must never appear.
    let fid = fan_id.clone();
    let (tokens, codes, emails) = app
        .query(move |c| {
            use fanfare::db::schema::{sandbox_codes, sandbox_tokens, sandbox_users};
            (
                sandbox_tokens::table
                    .select(sandbox_tokens::token)
                    .load::<String>(c)
                    .unwrap(),
                sandbox_codes::table
                    .select(sandbox_codes::code)
                    .load::<String>(c)
                    .unwrap(),
                sandbox_users::table
                    .filter(sandbox_users::id.eq_any([ADMIN_ALEX.to_string(), fid]))
                    .select(sandbox_users::email)
                    .load::<Option<String>>(c)
                    .unwrap(),
            )
        })
        .await;
    assert!(!tokens.is_empty() && !codes.is_empty());
    let mut secrets: Vec<(String, String)> = vec![
        ("app secret".into(), app.app_secret()),
        (
            "secret key".into(),
            app.settings.security.secret_key.expose().to_string(),
        ),
        (
            "verify token".into(),
            app.settings.facebook.verify_token.expose().to_string(),
        ),
        ("admin session".into(), session.clone()),
        ("webhook signature".into(), signature[7..].to_string()),
        ("email".into(), email.to_string()),
        ("email (normalised)".into(), email.to_lowercase()),
        (
            "email (url-encoded)".into(),
            url::form_urlencoded::byte_serialize(email.as_bytes()).collect(),
        ),
    ];
    secrets.extend(tokens.into_iter().map(|t| ("access token".into(), t)));
    secrets.extend(codes.into_iter().map(|t| ("oauth code".into(), t)));
    secrets.extend(
        emails
            .into_iter()
            .flatten()
            .map(|e| ("facebook email".into(), e)),
    );
    secrets.push(("fan session".into(), fan_session));

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines = text.lines().count();
    assert!(lines > 20, "the flow was logged ({lines} lines)");
    assert!(text.contains("request finished"));
    for (what, value) in &secrets {
        assert!(value.len() >= 8, "{what} is long enough to search for");
        if let Some(line) = text.lines().find(|l| l.contains(value.as_str())) {
            panic!("the logs contain a {what}: {line}");
        }
    }
    eprintln!(
        "checked {} log lines ({} bytes) against {} secrets",
        lines,
        text.len(),
        secrets.len()
    );
}
