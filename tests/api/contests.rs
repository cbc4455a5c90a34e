//! Contests through the admin API: validation, lifecycle, schedule, tenancy.

use fanfare::platform::sandbox::seed::ADMIN_SAM;
use serde_json::json;

use crate::accounts::admin_token;
use crate::helpers::spawn_app;
use crate::support::{api, installed, open_contest};

#[tokio::test]
async fn contests_are_validated_with_clear_errors() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let base = json!({"page_id": inst.page_id, "kind": "ugc", "title": "Shirt"});
    let cases = [
        (
            json!({"page_id": inst.page_id, "kind": "ugc"}),
            422,
            "missing_field",
        ),
        (
            json!({"page_id": inst.page_id, "kind": "raffle", "title": "x"}),
            422,
            "invalid_kind",
        ),
        (
            json!({"page_id": inst.page_id, "kind": "ugc", "title": ""}),
            422,
            "invalid_length",
        ),
        (
            json!({"page_id": inst.page_id, "kind": "ugc", "title": "x", "time_zone": "Mars/Base"}),
            422,
            "invalid_time_zone",
        ),
        (
            json!({"page_id": inst.page_id, "kind": "ugc", "title": "x", "opens_at": "2030-01-02T00:00", "closes_at": "2030-01-01T00:00"}),
            409,
            "invalid_schedule",
        ),
        (
            json!({"page_id": inst.page_id, "kind": "ugc", "title": "x", "allowed_countries": ["US", "XX"]}),
            422,
            "invalid_country",
        ),
        (
            json!({"page_id": inst.page_id, "kind": "ugc", "title": "x", "form_schema": {"fields": {"email": "maybe"}}}),
            422,
            "invalid_form_schema",
        ),
        (
            json!({"page_id": inst.page_id, "kind": "ugc", "title": "x", "entry_limit": "weekly"}),
            422,
            "invalid_limit",
        ),
        (
            json!({"page_id": inst.page_id, "kind": "ugc", "title": "x", "bogus": 1}),
            400,
            "malformed_json",
        ),
    ];
    for (body, status, code) in cases {
        let (s, err) = api(
            &app,
            &inst.token,
            "POST",
            "/api/v1/contests",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (s, err["error"]["code"].as_str()),
            (status, Some(code)),
            "{body} -> {err}"
        );
    }
    let (s, _) = api(&app, &inst.token, "POST", "/api/v1/contests", Some(base)).await;
    assert_eq!(s, 201);
    assert_eq!(
        app.query(|c| crate::helpers::count(c, "contests")).await,
        1,
        "nothing stored by refusals"
    );
}

#[tokio::test]
async fn the_lifecycle_is_enforced_and_audited() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let (_, c) = api(&app, &inst.token, "POST", "/api/v1/contests", Some(json!({
        "page_id": inst.page_id, "kind": "sweepstakes", "title": "Win a hoodie", "time_zone": "Europe/Stockholm"
    }))).await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["status"], "draft");
    let t = |to: &'static str| {
        let app = &app;
        let token = inst.token.clone();
        async move {
            api(
                app,
                &token,
                "POST",
                &format!("/api/v1/contests/{id}/transition"),
                Some(json!({"to": to})),
            )
            .await
        }
    };
    let (s, e) = t("open").await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("rules_required"))
    );
    let (s, e) = t("closed").await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("invalid_transition"))
    );
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("allowed: prize_poll, scheduled, open"));
    let (s, patched) = api(
        &app,
        &inst.token,
        "PATCH",
        &format!("/api/v1/contests/{id}"),
        Some(json!({
            "rules_text": "Official rules v1", "opens_at": "2030-06-01T10:00", "closes_at": null
        })),
    )
    .await;
    assert_eq!(s, 200, "{patched}");
    assert_eq!(
        patched["opens_at"], "2030-06-01T08:00:00Z",
        "local time in the contest's zone"
    );
    let v1 = patched["rules_version"].as_str().unwrap().to_string();
    let (_, patched) = api(
        &app,
        &inst.token,
        "PATCH",
        &format!("/api/v1/contests/{id}"),
        Some(json!({"rules_text": "Official rules v2"})),
    )
    .await;
    assert_ne!(
        patched["rules_version"].as_str().unwrap(),
        v1,
        "a rules change is a new version"
    );
    let (s, c) = t("scheduled").await;
    assert_eq!(
        (s, c["status"].as_str(), c["effective_status"].as_str()),
        (200, Some("scheduled"), Some("scheduled"))
    );
    // The schedule is enforced by the clock: with opens_at in the past it is open.
    let (_, c) = api(
        &app,
        &inst.token,
        "PATCH",
        &format!("/api/v1/contests/{id}"),
        Some(json!({"opens_at": "2020-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(c["effective_status"], "open");
    let (s, c) = t("closed").await;
    assert_eq!((s, c["status"].as_str()), (200, Some("closed")));
    let (s, e) = api(
        &app,
        &inst.token,
        "PATCH",
        &format!("/api/v1/contests/{id}"),
        Some(json!({"title": "late edit"})),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("contest_closed"))
    );
    // Winners are announced once they have been picked.
    let (s, e) = t("winners_announced").await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("no_winners")));
    let (s, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{id}/draw"),
        Some(json!({"method": "random", "winners": 1})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = t("winners_announced").await;
    assert_eq!(s, 200);
    let (_, audit) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/audit?subject_type=contest&subject_id={id}"),
        None,
    )
    .await;
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(
        actions
            .iter()
            .filter(|a| **a == "contest.transition")
            .count()
            >= 3,
        "{actions:?}"
    );
}

#[tokio::test]
async fn another_tenant_cannot_reach_contests_entries_or_votes() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let contest = open_contest(&app, &inst, json!({})).await;
    let id = contest["id"].as_i64().unwrap();
    let sam = admin_token(&app, ADMIN_SAM).await;
    let (_, list) = api(&app, &sam, "GET", "/api/v1/contests", None).await;
    assert_eq!(list["data"], json!([]));
    // The owner sees the contest's audit trail, so the walk's empty audit list for
    // Sam means "not yours", not "nothing there".
    let audit_path = format!("/api/v1/audit?subject_type=contest&subject_id={id}");
    let (_, own) = api(&app, &inst.token, "GET", &audit_path, None).await;
    assert!(!own["data"].as_array().unwrap().is_empty(), "{own}");
    let (_, all) = api(&app, &sam, "GET", "/api/v1/audit", None).await;
    assert!(
        all["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["page_id"] != json!(inst.page_id)),
        "Sam sees none of Alex's audit log: {all}"
    );
    crate::tenancy::assert_no_cross_tenant_access(&app, &sam, "contest", id).await;
    // Creating a contest on someone else's page is refused the same way.
    let (s, _) = api(
        &app,
        &sam,
        "POST",
        "/api/v1/contests",
        Some(json!({"page_id": inst.page_id, "kind": "ugc", "title": "x"})),
    )
    .await;
    assert_eq!(s, 404);
}
