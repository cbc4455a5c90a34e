//! Hostile text in the user fields that the other escaping tests leave out renders
//! as text: prize-poll suggestion titles (a fan's, shown on the fan page and the
//! dashboard), judging criterion descriptions (the judges' notes on a criterion)
//! and custom segment names. Each page must show the payload, escaped, and never
//! the raw markup.

use fanfare::platform::sandbox::seed::{ADMIN_ALEX, FIRST_FAN};
use serde_json::json;

use crate::accounts::{admin_browser, browser};
use crate::dashboard::{contest_with_activity, page};
use crate::support::{api, fan_logged_in, installed};

const XSS: &str = "<script>alert('x')</script><img src=x onerror=alert(1)> Tour hoodie";

/// The payload is on the page (escaped, so the test looks at the right place)
/// and none of its markup got through raw.
fn assert_rendered_as_text(what: &str, html: &str) {
    assert!(
        html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62; Tour hoodie"),
        "{what}: the escaped payload is not on the page"
    );
    for raw in ["<script>alert", "<img src=x", "onerror=alert(1)>"] {
        assert!(!html.contains(raw), "{what}: {raw} rendered unescaped");
    }
    crate::ui::assert_csp_clean(html);
}

#[tokio::test]
async fn a_hostile_suggestion_title_renders_as_text_on_the_fan_page_and_the_dashboard() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = crate::polls::draft(&app, &inst).await;
    let cid = c["id"].as_i64().unwrap();
    let slug = c["slug"].as_str().unwrap().to_string();
    let closes = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let (st, poll) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{cid}/poll"),
        Some(json!({"budget": 1000, "currency": "usd", "closes_at": closes})),
    )
    .await;
    assert_eq!(st, 201, "{poll}");

    let fan = fan_logged_in(&app, &(FIRST_FAN + 1).to_string(), &slug).await;
    let (st, body) = crate::polls::suggest(&app, &fan, &slug, XSS, "40", "").await;
    assert_eq!(st, 201, "{body}");
    let sid = body["suggestion"]["id"].as_i64().unwrap();
    // The fan's own pending suggestion is shown to them, in their part of the page.
    let (st, html) = page(&app, &fan, &format!("/c/{slug}/me")).await;
    assert_eq!(st, 200);
    assert_rendered_as_text("fan page, own suggestion", &html);

    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/suggestions/{sid}/moderation"),
        Some(json!({"status": "approved"})),
    )
    .await;
    assert_eq!(st, 200);
    // Approved, it is listed for every visitor.
    let (st, html) = page(&app, &browser(), &format!("/c/{slug}")).await;
    assert_eq!(st, 200);
    assert_rendered_as_text("fan page, suggestion list", &html);

    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let (st, html) = page(&app, &alex, &format!("/dashboard/contests/{cid}/poll")).await;
    assert_eq!(st, 200);
    assert_rendered_as_text("dashboard poll page", &html);
}

#[tokio::test]
async fn a_hostile_criterion_description_renders_as_text_on_the_judging_page() {
    let app = crate::engage::app().await;
    let (c, _, _) = contest_with_activity(&app, "Judged contest", "plain entry").await;
    let cid = c["id"].as_i64().unwrap();
    let inst = installed(&app).await;
    let (st, body) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{cid}/criteria"),
        Some(json!({"name": "Originality", "description": XSS})),
    )
    .await;
    assert_eq!(st, 201, "{body}");
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let (st, html) = page(&app, &alex, &format!("/dashboard/contests/{cid}/judging")).await;
    assert_eq!(st, 200);
    assert_rendered_as_text("judging page", &html);
}

#[tokio::test]
async fn a_hostile_custom_segment_name_renders_as_text_on_the_segments_page() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let (st, body) = api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/segments",
        Some(json!({"page_id": inst.page_id, "name": XSS,
                    "rule": {"field": "shares", "op": "gte", "value": 1}})),
    )
    .await;
    assert_eq!(st, 201, "{body}");
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    // The dashboard shows one page at a time: the brand page, where the segment is.
    let switch = format!("/dashboard/switch-page?page={}", inst.page_id);
    let (st, _) = page(&app, &alex, &switch).await;
    assert_eq!(st, 303, "the switch remembers the page and redirects");
    let (st, html) = page(&app, &alex, "/dashboard/segments").await;
    assert_eq!(st, 200);
    assert_rendered_as_text("segments page", &html);
}
