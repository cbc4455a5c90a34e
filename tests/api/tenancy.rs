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

/// The dashboard's routes that take an id of a tenant-owned resource, walked as
/// an admin who does not own it (`/dashboard/...`, `{id}` for the id). Each
/// must answer 404 and change nothing.
pub const DASHBOARD_ROUTES: &[(&str, &str, &str)] = &[
    ("contest", "GET", "/dashboard/contests/{id}"),
    ("contest", "GET", "/dashboard/contests/{id}/edit"),
    ("contest", "POST", "/dashboard/contests/{id}"),
    ("contest", "POST", "/dashboard/contests/{id}/transition"),
    ("contest", "GET", "/dashboard/contests/{id}/entries.csv"),
    ("contest", "GET", "/dashboard/contests/{id}/poll"),
    ("contest", "POST", "/dashboard/contests/{id}/poll"),
    ("contest", "GET", "/dashboard/contests/{id}/leaderboard"),
    ("contest", "GET", "/dashboard/contests/{id}/judging"),
    ("contest", "POST", "/dashboard/contests/{id}/criteria"),
    ("contest", "GET", "/dashboard/contests/{id}/winners"),
    ("contest", "POST", "/dashboard/contests/{id}/draw"),
    ("entry", "POST", "/dashboard/entries/{id}/moderation"),
    ("entry", "POST", "/dashboard/entries/{id}/scores"),
    ("vote", "POST", "/dashboard/votes/{id}/void"),
    ("page", "POST", "/dashboard/pages/{id}/subscription"),
    ("contact", "GET", "/dashboard/contacts/{id}"),
    ("segment", "GET", "/dashboard/segments/{id}/edit"),
    ("segment", "POST", "/dashboard/segments/{id}"),
    ("segment", "POST", "/dashboard/segments/{id}/delete"),
];

/// Dashboard id routes whose resources need a longer setup; the named test
/// walks them cross-tenant.
const DASHBOARD_WALKED_ELSEWHERE: &[(&str, &str, &str)] = &[
    (
        "POST",
        "/dashboard/polls/{id}/close",
        "dashboard_wave2::prize_polls_open_moderate_close_and_adopt_from_the_dashboard",
    ),
    (
        "POST",
        "/dashboard/polls/{id}/adopt",
        "dashboard_wave2::prize_polls_open_moderate_close_and_adopt_from_the_dashboard",
    ),
    (
        "POST",
        "/dashboard/suggestions/{id}/moderation",
        "dashboard_wave2::prize_polls_open_moderate_close_and_adopt_from_the_dashboard",
    ),
    (
        "POST",
        "/dashboard/winners/{id}/decline",
        "dashboard_wave2::the_winner_draw_shows_commitment_verification_and_passes_declines_on",
    ),
    (
        "POST",
        "/dashboard/jobs/{id}/retry",
        "dashboard::moderation_votes_pages_and_dead_letters_work_from_the_dashboard",
    ),
];

/// `(METHOD, path)` of every dashboard route with an `{id}`, read from the
/// route registrations in `src/routes/dashboard/` (`{id:\d+}` becomes `{id}`).
fn dashboard_id_routes_in_source() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes/dashboard");
    let mut out = Vec::new();
    for file in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
        // `"/dashboard/...{id...}",` then `web::get()` or `web::post()`.
        for (at, _) in text.match_indices("\"/dashboard/") {
            let rest = &text[at + 1..];
            let path = &rest[..rest.find('"').unwrap()];
            if !path.contains("{id") {
                continue;
            }
            let after = &rest[path.len()..];
            let method = match (after.find("web::get()"), after.find("web::post()")) {
                (Some(g), Some(p)) if g < p => "GET",
                (Some(_), None) => "GET",
                (_, Some(_)) => "POST",
                (None, None) => continue,
            };
            let start = path.find("{id").unwrap();
            let end = start + path[start..].find('}').unwrap();
            let path = format!("{}{{id}}{}", &path[..start], &path[end + 1..]);
            out.push((method.to_string(), path));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_dashboard_id_route_is_walked_cross_tenant() {
    let found = dashboard_id_routes_in_source();
    assert!(found.len() >= 20, "the scan finds the routes: {found:?}");
    let missing: Vec<_> = found
        .iter()
        .filter(|(m, p)| {
            !DASHBOARD_ROUTES
                .iter()
                .any(|(_, wm, wp)| wm == m && wp == p)
                && !DASHBOARD_WALKED_ELSEWHERE
                    .iter()
                    .any(|(wm, wp, _)| wm == m && wp == p)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "dashboard routes missing from tenancy::DASHBOARD_ROUTES: {missing:?}"
    );
}

#[tokio::test]
async fn another_admin_reaches_no_dashboard_route_of_a_tenant() {
    use crate::accounts::admin_browser;
    use crate::dashboard::{contest_with_activity, page, post};
    use fanfare::platform::sandbox::seed::{ADMIN_ALEX, ADMIN_SAM};

    let app = crate::helpers::spawn_app_with(crate::helpers::Spawn::default(), |s| {
        s.limits.votes_per_ip_per_10m = 1000
    })
    .await;
    let (c, entry_id, vote_id) = contest_with_activity(&app, "Alex only", "alex text").await;
    let contest_id = c["id"].as_i64().unwrap();
    let page_id = c["page_id"].as_i64().unwrap();
    let inst = crate::support::installed(&app).await;
    let (st, seg) = crate::support::api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/segments",
        Some(
            serde_json::json!({"page_id": page_id, "name": "Alex segment",
            "rule": {"field": "entries", "op": "gte", "value": 1}}),
        ),
    )
    .await;
    assert_eq!(st, 201, "{seg}");
    let segment_id = seg["id"].as_i64().unwrap();
    let contact_id = app
        .query(|conn| {
            use diesel::prelude::*;
            use fanfare::db::schema::contacts::dsl as k;
            k::contacts.select(k::id).first::<i64>(conn).unwrap()
        })
        .await;
    let snapshot = || async {
        app.query(move |conn| {
            (
                crate::helpers::count(conn, "entries WHERE status = 'pending'"),
                crate::helpers::count(conn, "votes WHERE voided_at IS NOT NULL"),
                crate::helpers::count(
                    conn,
                    &format!("contests WHERE id = {contest_id} AND status = 'open' AND title = 'Alex only'"),
                ),
                crate::helpers::count(conn, "segments WHERE name = 'Alex segment'"),
                crate::helpers::count(conn, "judging_criteria"),
            )
        })
        .await
    };
    let before = snapshot().await;

    let sam = admin_browser(&app, ADMIN_SAM).await;
    let (_, html) = page(&app, &sam, "/dashboard/contests").await;
    let csrf = crate::support::csrf_of(&html);
    let rule = r#"{"field": "entries", "op": "gte", "value": 0}"#;
    for (resource, method, path) in DASHBOARD_ROUTES {
        let id = match *resource {
            "contest" => contest_id,
            "entry" => entry_id,
            "vote" => vote_id,
            "page" => page_id,
            "contact" => contact_id,
            "segment" => segment_id,
            other => panic!("no {other} to walk"),
        };
        let path = path.replace("{id}", &id.to_string());
        let status = if *method == "GET" {
            page(&app, &sam, &path).await.0
        } else {
            // A form that would be valid, so a 404 means "not yours".
            let form: Vec<(&str, &str)> = vec![
                ("csrf_token", &csrf),
                ("to", "closed"),
                ("status", "approved"),
                ("reason", "mine now"),
                ("title", "Taken over"),
                ("kind", "ugc"),
                ("name", "Taken over"),
                ("rule", rule),
                ("method", "random"),
                ("winners", "1"),
                ("budget", "1000"),
                ("currency", "USD"),
                ("closes_at", "2099-01-01T00:00"),
            ];
            post(&app, &sam, &path, &form).await.status().as_u16()
        };
        assert_eq!(
            status, 404,
            "{method} {path} ({resource}) must not reach another tenant's data"
        );
    }
    assert_eq!(
        snapshot().await,
        before,
        "a cross-tenant request changed data"
    );
    // Alex still reaches every GET (the ids are right, the 404s are tenancy).
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let (st, _) = page(
        &app,
        &alex,
        &format!("/dashboard/segments/{segment_id}/edit"),
    )
    .await;
    assert_eq!(st, 200);
    let (st, _) = page(
        &app,
        &alex,
        &format!("/dashboard/contests/{contest_id}/entries.csv"),
    )
    .await;
    assert_eq!(st, 200);
}
