//! The cross-tenant walk: every admin route that takes an id of a tenant-owned
//! resource is called as an admin who does not own it, and must answer 404 and
//! change nothing. New admin routes are added to `ROUTES` (a test scans
//! `src/routes/api/` and fails for a route that is neither walked nor exempt).

use serde_json::Value;

use crate::helpers::TestApp;

/// (resource, method, path template with `{id}`).
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("page", "GET", "/api/v1/pages/{id}"),
    ("page", "POST", "/api/v1/pages/{id}/subscription"),
    ("page", "GET", "/api/v1/contacts?page_id={id}"),
    ("page", "GET", "/api/v1/segments?page_id={id}"),
    ("page", "POST", "/api/v1/segments"),
    ("page", "POST", "/api/v1/segments/recompute"),
    ("page", "GET", "/api/v1/trends?page_id={id}"),
    ("page", "GET", "/api/v1/exports/contacts?page_id={id}"),
    (
        "page",
        "GET",
        "/api/v1/contests?page_id={id}&probe=list-is-empty",
    ),
    (
        "contest",
        "GET",
        "/api/v1/audit?subject_type=contest&subject_id={id}&probe=list-is-empty",
    ),
    ("contact", "GET", "/api/v1/contacts/{id}"),
    ("segment", "GET", "/api/v1/segments/{id}"),
    ("segment", "DELETE", "/api/v1/segments/{id}"),
    ("contest", "GET", "/api/v1/contests/{id}"),
    ("contest", "PATCH", "/api/v1/contests/{id}"),
    ("contest", "POST", "/api/v1/contests/{id}/transition"),
    ("contest", "POST", "/api/v1/contests/{id}/backfill"),
    ("contest", "GET", "/api/v1/contests/{id}/entries"),
    (
        "contest",
        "POST",
        "/api/v1/contests/{id}/entries/moderation",
    ),
    ("contest", "GET", "/api/v1/contests/{id}/votes"),
    ("entry", "GET", "/api/v1/entries/{id}"),
    ("entry", "POST", "/api/v1/entries/{id}/moderation"),
    ("vote", "POST", "/api/v1/votes/{id}/void"),
    // Engagement: points, referrals, winners, judging, the prize poll.
    ("contest", "GET", "/api/v1/contests/{id}/leaderboard"),
    ("contest", "GET", "/api/v1/contests/{id}/points"),
    ("contest", "POST", "/api/v1/contests/{id}/points"),
    ("contest", "GET", "/api/v1/contests/{id}/referrals"),
    ("contest", "POST", "/api/v1/contests/{id}/draw"),
    ("contest", "GET", "/api/v1/contests/{id}/winners"),
    ("contest", "POST", "/api/v1/contests/{id}/announce"),
    ("contest", "GET", "/api/v1/contests/{id}/criteria"),
    ("contest", "POST", "/api/v1/contests/{id}/criteria"),
    ("contest", "GET", "/api/v1/contests/{id}/judging"),
    ("contest", "POST", "/api/v1/contests/{id}/poll"),
    ("contest", "GET", "/api/v1/contests/{id}/poll"),
    ("entry", "GET", "/api/v1/entries/{id}/scores"),
    ("entry", "PUT", "/api/v1/entries/{id}/scores"),
    ("winner", "POST", "/api/v1/winners/{id}/decline"),
    ("poll", "POST", "/api/v1/polls/{id}/close"),
    ("poll", "POST", "/api/v1/polls/{id}/adopt"),
    ("poll", "GET", "/api/v1/polls/{id}/participants"),
    ("suggestion", "POST", "/api/v1/suggestions/{id}/moderation"),
];

pub async fn assert_no_cross_tenant_access(app: &TestApp, token: &str, resource: &str, id: i64) {
    let mut walked = 0;
    for (res, method, path) in ROUTES.iter().filter(|(r, ..)| *r == resource) {
        CURRENT_ID.with(|c| c.set(id));
        let path = path.replace("{id}", &id.to_string());
        // Lists filtered by page answer 200 with nothing of the other tenant's.
        if path.contains("probe=list-is-empty") {
            let r = app
                .client
                .get(app.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["data"], serde_json::json!([]), "{path}");
            walked += 1;
            continue;
        }
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .bearer_auth(token)
            .json(&body_for(path.as_str()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            404,
            "{method} {path} ({res}) must not reach another tenant's data"
        );
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
        walked += 1;
    }
    assert!(walked > 0, "no routes for {resource}");
}

/// A body that would be valid for the route, so a 404 means "not yours", not "bad input".
fn body_for(path: &str) -> serde_json::Value {
    if path.ends_with("/transition") {
        serde_json::json!({"to": "closed"})
    } else if path.starts_with("/api/v1/suggestions/") {
        serde_json::json!({"status": "approved"})
    } else if path.ends_with("/moderation") {
        serde_json::json!({"status": "approved", "entry_ids": [1]})
    } else if path.ends_with("/decline") {
        serde_json::json!({"reason": "x"})
    } else if path.ends_with("/points") {
        serde_json::json!({"contact_id": 1, "points": 5, "note": "x"})
    } else if path.ends_with("/draw") {
        serde_json::json!({"method": "random", "winners": 1, "alternates": 1})
    } else if path.ends_with("/criteria") {
        serde_json::json!({"name": "Originality"})
    } else if path.ends_with("/scores") {
        serde_json::json!({"scores": [{"criterion_id": 1, "score": 5}]})
    } else if path.ends_with("/poll") {
        serde_json::json!({"budget": 1000, "currency": "USD", "closes_at": "2099-01-01T00:00:00Z"})
    } else if path.ends_with("/adopt") {
        serde_json::json!({"suggestion_id": 1})
    } else if path.ends_with("/void") {
        serde_json::json!({"reason": "x"})
    } else if path.ends_with("/segments") {
        serde_json::json!({"page_id": page_in(path), "name": "x", "rule": {"field": "entries", "op": "gte", "value": 1}})
    } else if path.ends_with("/segments/recompute") {
        serde_json::json!({"page_id": page_in(path)})
    } else if path.contains("/contests/") {
        serde_json::json!({"title": "taken over"})
    } else {
        serde_json::json!({})
    }
}

/// The walk passes the page id of POST-with-body routes through the id slot.
fn page_in(_path: &str) -> i64 {
    CURRENT_ID.with(|c| c.get())
}

thread_local! {
    static CURRENT_ID: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

/// Admin API routes that take no id of a tenant-owned resource: the caller's own
/// profile and page list, and contest creation (a foreign page id is refused in
/// `contests::another_tenant_cannot_reach_contests_entries_or_votes`).
const NOT_WALKED: &[(&str, &str)] = &[
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/pages"),
    ("POST", "/api/v1/contests"),
];

/// Every admin API route, from the route table that also mounts them.
fn registered_api_routes() -> Vec<(String, String)> {
    let out = fanfare::routes::api::table::route_table();
    assert!(
        out.len() > 40,
        "the route table lists the API routes: {out:?}"
    );
    out
}

#[test]
fn every_registered_admin_api_route_is_walked_or_explicitly_exempt() {
    let walked: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(_, m, p)| {
            let path = p.split('?').next().unwrap();
            (m.to_string(), path.to_string())
        })
        .collect();
    let missing: Vec<_> = registered_api_routes()
        .into_iter()
        .filter(|(m, p)| {
            !walked.iter().any(|(wm, wp)| wm == m && wp == p)
                && !NOT_WALKED.iter().any(|(nm, np)| nm == m && np == p)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "admin API routes missing from tenancy::ROUTES (add them, or to NOT_WALKED with a reason): {missing:?}"
    );
}
