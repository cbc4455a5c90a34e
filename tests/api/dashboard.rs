//! The admin dashboard over HTTP: sign-in redirects, CSRF on every form, tenancy,
//! escaping of user content, and the PRG flashes.

use fanfare::platform::sandbox::seed::{ADMIN_ALEX, ADMIN_SAM, FIRST_FAN};
use serde_json::{json, Value};

use crate::accounts::{admin_browser, browser};
use crate::helpers::{count, spawn_app, spawn_app_with, Spawn, TestApp};
use crate::support::{api, csrf_of, enter, fan_logged_in, fan_page, installed, open_contest};

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

pub(crate) async fn page(app: &TestApp, b: &reqwest::Client, path: &str) -> (u16, String) {
    let r = b.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub(crate) async fn post(
    app: &TestApp,
    b: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    b.post(app.url(path)).form(form).send().await.unwrap()
}

/// An open contest with one pending entry and one counted (flagged) vote on an
/// approved entry. Returns (contest, pending entry id, vote id).
pub(crate) async fn contest_with_activity(
    app: &TestApp,
    title: &str,
    text: &str,
) -> (Value, i64, i64) {
    let inst = installed(app).await;
    let c = open_contest(
        app,
        &inst,
        json!({
            "title": title,
            "form_schema": {"fields": {"name": "required", "email": "required"}}
        }),
    )
    .await;
    let (slug, id) = (
        c["slug"].as_str().unwrap().to_string(),
        c["id"].as_i64().unwrap(),
    );
    let mut entry_ids = Vec::new();
    for (i, name) in ["<b onmouseover=alert(2)>Eve</b>", "Olle"]
        .iter()
        .enumerate()
    {
        let b = browser();
        let csrf = fan_page(app, &b, &slug).await;
        let email = format!("fan{i}@fan.io");
        let (st, body) = enter(
            app,
            &b,
            &slug,
            &csrf,
            &[
                ("name", name),
                ("email", &email),
                ("text", text),
                ("accept_rules", "on"),
            ],
            true,
        )
        .await;
        assert_eq!(st, 201, "{body}");
        entry_ids.push(
            serde_json::from_str::<Value>(&body).unwrap()["entry"]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    // The second entry is approved and voted for by a brand-new fan (a signal).
    let (st, _) = api(
        app,
        &inst.token,
        "POST",
        &format!("/api/v1/entries/{}/moderation", entry_ids[1]),
        Some(json!({"status": "approved"})),
    )
    .await;
    assert_eq!(st, 200);
    let voter = fan_logged_in(app, &(FIRST_FAN + 7).to_string(), &slug).await;
    let vcsrf = fan_page(app, &voter, &slug).await;
    let r = voter
        .post(app.url(&format!("/c/{slug}/vote/{}", entry_ids[1])))
        .header("accept", "application/json")
        .form(&[("csrf_token", vcsrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, votes) = api(
        app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{id}/votes"),
        None,
    )
    .await;
    let vote_id = votes["data"][0]["id"].as_i64().unwrap();
    (c, entry_ids[0], vote_id)
}

#[tokio::test]
async fn signing_in_leads_from_the_root_to_the_overview_and_the_contests() {
    let app = spawn_app().await;
    let anon = browser();
    let r = anon.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/dashboard");
    let (st, html) = page(&app, &anon, "/dashboard").await;
    assert_eq!(st, 200);
    assert!(html.contains(r#"href="/auth/facebook/login""#), "{html}");
    assert!(html.contains("Sign in with Facebook"));
    assert!(
        !html.contains(r#"class="sidebar""#),
        "no navigation before sign-in"
    );
    for path in [
        "/dashboard/contests",
        "/dashboard/contests/new",
        "/dashboard/moderation",
        "/dashboard/pages",
        "/dashboard/webhooks",
        "/dashboard/votes",
    ] {
        let r = anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(location(&r), "/dashboard", "{path}");
    }

    let alex = admin_browser(&app, ADMIN_ALEX).await;
    // Signed in, /dashboard is the overview (tests in dashboard_issue9.rs).
    let (st, html) = page(&app, &alex, "/dashboard").await;
    assert_eq!(st, 200);
    assert!(html.contains("<h1>Overview</h1>"), "{html}");
    let (st, html) = page(&app, &alex, "/dashboard/contests").await;
    assert_eq!(st, 200);
    assert!(html.contains("Alex Rivera"));
    assert!(html.contains("No contests yet"));
    // Both of Alex's pages are in the picker; the nav links only built sections.
    assert!(html.contains("Threadline Apparel"));
    assert!(html.contains(r#"<a href="/dashboard/contests" aria-current="page">"#));
    for built in ["/dashboard/segments", "/dashboard/trends"] {
        assert!(html.contains(built), "{built} is in the nav");
    }

    // Signing out ends the session and says so.
    let csrf = csrf_of(&html);
    let r = post(&app, &alex, "/dashboard/sign-out", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &alex, "/dashboard").await;
    assert!(html.contains("You are signed out."), "{html}");
    let r = alex
        .get(app.url("/dashboard/contests"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn every_dashboard_form_refuses_a_missing_or_foreign_csrf_token() {
    let app = spawn_app().await;
    let (c, entry_id, vote_id) = contest_with_activity(&app, "Shirt", "idea").await;
    let id = c["id"].as_i64().unwrap();
    let page_id = c["page_id"].as_i64().unwrap();
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    // A token of another session (Alex in another browser) does not pass either.
    let other = admin_browser(&app, ADMIN_ALEX).await;
    let (_, html) = page(&app, &other, "/dashboard/contests").await;
    let foreign = csrf_of(&html);
    let contest_form: Vec<(&str, &str)> = vec![
        ("kind", "ugc"),
        ("title", "Forged"),
        ("entry_limit", "once"),
        ("vote_limit", "daily"),
        ("time_zone", "UTC"),
    ];
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/dashboard/sign-out".into(), vec![]),
        (format!("/dashboard/pages/{page_id}/subscription"), vec![]),
        ("/dashboard/contests".into(), contest_form.clone()),
        (format!("/dashboard/contests/{id}"), contest_form.clone()),
        (
            format!("/dashboard/contests/{id}/transition"),
            vec![("to", "closed")],
        ),
        (
            "/dashboard/moderation".into(),
            vec![("entry_ids", "0"), ("status", "approved")],
        ),
        (
            format!("/dashboard/entries/{entry_id}/moderation"),
            vec![("status", "approved")],
        ),
        (
            format!("/dashboard/votes/{vote_id}/void"),
            vec![("reason", "forged")],
        ),
        ("/dashboard/jobs/1/retry".into(), vec![]),
    ];
    for (path, fields) in &posts {
        for token in [None, Some(foreign.as_str()), Some("")] {
            let mut form = fields.clone();
            if let Some(t) = token {
                form.push(("csrf_token", t));
            }
            let r = post(&app, &alex, path, &form).await;
            assert_eq!(r.status(), 403, "{path} with {token:?}");
            let body = r.text().await.unwrap();
            assert!(body.contains("reload the page"), "{path}: {body}");
        }
    }
    // Nothing changed, and the session still works.
    let (contests, pending, voided, status) = app
        .query(move |c| {
            (
                count(c, "contests"),
                count(c, "entries WHERE status = 'pending'"),
                count(c, "votes WHERE voided_at IS NOT NULL"),
                count(c, &format!("contests WHERE id = {id} AND status = 'open'")),
            )
        })
        .await;
    assert_eq!((contests, pending, voided, status), (1, 1, 0, 1));
    assert_eq!(page(&app, &alex, "/dashboard/contests").await.0, 200);
}

#[tokio::test]
async fn one_tenant_never_sees_or_reaches_another_tenants_data() {
    let app = spawn_app_with(Spawn::default(), |s| s.limits.votes_per_ip_per_10m = 1000).await;
    let (c, entry_id, vote_id) =
        contest_with_activity(&app, "Alex secret shirt contest", "Alex-only entry text").await;
    let id = c["id"].as_i64().unwrap();
    let alex_page = c["page_id"].as_i64().unwrap();
    let sam = admin_browser(&app, ADMIN_SAM).await;
    for path in [
        "/dashboard/contests",
        "/dashboard/moderation",
        "/dashboard/votes",
        "/dashboard/pages",
        "/dashboard/webhooks",
    ] {
        let (st, html) = page(&app, &sam, path).await;
        assert_eq!(st, 200, "{path}");
        for secret in [
            "Alex secret shirt contest",
            "Alex-only entry text",
            "Threadline Apparel",
            "Olle",
        ] {
            assert!(!html.contains(secret), "{path} shows {secret}");
        }
    }
    // Another tenant's ids are 404s, for pages and for forms.
    for path in [
        format!("/dashboard/contests/{id}"),
        format!("/dashboard/contests/{id}/edit"),
        format!("/dashboard/switch-page?page={alex_page}"),
    ] {
        assert_eq!(page(&app, &sam, &path).await.0, 404, "{path}");
    }
    // Choosing Alex's contest as a filter shows nothing of it either.
    let (_, html) = page(&app, &sam, &format!("/dashboard/moderation?contest={id}")).await;
    assert!(!html.contains("Alex-only entry text"));
    let (_, html) = page(&app, &sam, &format!("/dashboard/votes?contest={id}")).await;
    assert!(!html.contains("Alex secret"));

    let (_, html) = page(&app, &sam, "/dashboard/contests").await;
    let csrf = csrf_of(&html);
    let c = csrf.as_str();
    let attempts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/dashboard/contests/{id}/transition"),
            vec![("csrf_token", c), ("to", "closed")],
        ),
        (
            format!("/dashboard/contests/{id}"),
            vec![("csrf_token", c), ("title", "Taken over"), ("kind", "ugc")],
        ),
        (
            format!("/dashboard/entries/{entry_id}/moderation"),
            vec![("csrf_token", c), ("status", "approved")],
        ),
        (
            format!("/dashboard/votes/{vote_id}/void"),
            vec![("csrf_token", c), ("reason", "mine now")],
        ),
        (
            format!("/dashboard/pages/{alex_page}/subscription"),
            vec![("csrf_token", c)],
        ),
    ];
    for (path, form) in &attempts {
        let r = post(&app, &sam, path, form).await;
        assert_eq!(r.status(), 404, "{path}");
    }
    // Bulk moderation with a foreign id changes nothing (all or nothing).
    let eid = entry_id.to_string();
    let r = post(
        &app,
        &sam,
        "/dashboard/moderation",
        &[
            ("csrf_token", c),
            ("entry_ids", &eid),
            ("status", "approved"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (pending, voided, open, title) = app
        .query(move |conn| {
            (
                count(
                    conn,
                    &format!("entries WHERE id = {entry_id} AND status = 'pending'"),
                ),
                count(conn, "votes WHERE voided_at IS NOT NULL"),
                count(
                    conn,
                    &format!("contests WHERE id = {id} AND status = 'open'"),
                ),
                count(conn, "contests WHERE title = 'Taken over'"),
            )
        })
        .await;
    assert_eq!((pending, voided, open, title), (1, 0, 1, 0));

    // And Alex's dashboard does not show Sam's page.
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let (_, html) = page(&app, &alex, "/dashboard/pages").await;
    assert!(html.contains("Threadline Apparel"));
    let sam_page = app
        .query(|conn| {
            use diesel::prelude::*;
            fanfare::db::schema::pages::table
                .filter(
                    fanfare::db::schema::pages::fb_page_id
                        .eq(fanfare::platform::sandbox::seed::OTHER_PAGE),
                )
                .select(fanfare::db::schema::pages::name)
                .first::<String>(conn)
                .unwrap()
        })
        .await;
    assert!(!html.contains(&sam_page), "{sam_page} leaked");
}

#[tokio::test]
async fn hostile_titles_entry_texts_and_fan_names_render_as_text() {
    let app = spawn_app_with(Spawn::default(), |s| s.limits.votes_per_ip_per_10m = 1000).await;
    let (c, _, _) = contest_with_activity(
        &app,
        "<script>alert('title')</script>",
        "<img src=x onerror=alert(3)> & </textarea><svg onload=alert(4)>",
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    for path in [
        "/dashboard/contests".to_string(),
        format!("/dashboard/contests/{id}"),
        format!("/dashboard/contests/{id}/edit"),
        "/dashboard/moderation".to_string(),
        format!("/dashboard/votes?contest={id}&all=1"),
    ] {
        let (st, html) = page(&app, &alex, &path).await;
        assert_eq!(st, 200, "{path}");
        for raw in [
            "<script>alert",
            "<img src=x",
            "<b onmouseover",
            "<svg onload",
            "</textarea><svg",
        ] {
            assert!(!html.contains(raw), "{path}: {raw} rendered unescaped");
        }
        assert!(
            html.contains("&#60;script&#62;alert(&#39;title&#39;)&#60;/script&#62;"),
            "{path}: the title is shown as text"
        );
    }
    let (_, html) = page(&app, &alex, "/dashboard/moderation").await;
    assert!(html.contains("&#60;b onmouseover=alert(2)&#62;Eve&#60;/b&#62;"));
    // No inline script or style anywhere (the CSP would refuse them), on every page.
    for path in [
        "/dashboard".to_string(),
        "/dashboard/contests".to_string(),
        "/dashboard/contests/new".to_string(),
        format!("/dashboard/contests/{id}"),
        "/dashboard/moderation".to_string(),
        "/dashboard/votes".to_string(),
        "/dashboard/pages".to_string(),
        "/dashboard/webhooks".to_string(),
    ] {
        let r = alex.get(app.url(&path)).send().await.unwrap();
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let html = r.text().await.unwrap();
        crate::ui::assert_csp_clean(&html);
    }
    assert!(html.contains("&#60;img src=x onerror=alert(3)&#62;"));
}

#[tokio::test]
async fn the_editor_creates_a_contest_with_its_form_schema_and_flashes_after_redirects() {
    let app = spawn_app().await;
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let (st, html) = page(&app, &alex, "/dashboard/contests/new").await;
    assert_eq!(st, 200);
    let csrf = csrf_of(&html);
    for label in [
        "Type of contest",
        "Official rules",
        "Time zone",
        "Allowed countries",
        "Date of birth",
        "Marketing consent",
    ] {
        assert!(html.contains(label), "{label}");
    }
    let base: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("kind", "ugc"),
        ("title", "Design the tour shirt"),
        ("description", "Send your design"),
        ("prize", "Two tickets"),
        ("rules_text", "Official rules: one entry per person."),
        ("time_zone", "Europe/Stockholm"),
        ("opens_at", ""),
        ("closes_at", "2099-12-10T18:00"),
        ("min_age", "16"),
        ("allowed_countries", "SE"),
        ("allowed_countries", "NO"),
        ("entry_limit", "once"),
        ("vote_limit", "daily"),
        ("voting_enabled", "on"),
        ("field_name", "required"),
        ("field_email", "optional"),
        ("field_postal_code", "hidden"),
        ("field_phone", "hidden"),
        ("field_birth_date", "optional"),
        ("field_country", "hidden"),
        ("q0_label", "Your shirt size"),
        ("q0_kind", "choice"),
        ("q0_choices", "S\nM\nL"),
        ("q0_required", "on"),
        ("q1_label", ""),
        ("marketing_text", "Send me tour news"),
        ("marketing_version", "v1"),
    ];
    // A refused form is shown again, with what was typed and the problem.
    let mut bad = base.clone();
    bad.retain(|(k, _)| *k != "closes_at" && *k != "opens_at");
    bad.push(("closes_at", "2000-01-01T00:00"));
    bad.push(("opens_at", "2001-01-01T00:00"));
    let r = post(&app, &alex, "/dashboard/contests", &bad).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("The contest must open before it closes."),
        "{html}"
    );
    assert!(html.contains(r#"value="Design the tour shirt""#));
    assert!(html.contains("Your shirt size"));
    assert_eq!(app.query(|c| count(c, "contests")).await, 0);

    let r = post(&app, &alex, "/dashboard/contests", &base).await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with("/dashboard/contests/"), "{to}");
    let flash = r
        .cookies()
        .find(|c| c.name() == "fanfare_flash")
        .expect("a flash cookie");
    assert!(flash.http_only());
    assert!(!to.contains("created"), "no message in the URL");
    let (st, html) = page(&app, &alex, &to).await;
    assert_eq!(st, 200);
    assert!(html.contains("was created as a draft"), "{html}");
    // Shown once.
    let (_, again) = page(&app, &alex, &to).await;
    assert!(!again.contains("was created as a draft"));

    let stored = app
        .query(|c| {
            use diesel::prelude::*;
            use fanfare::db::schema::contests::dsl::*;
            contests
                .select((form_schema, allowed_countries, min_age, time_zone))
                .first::<(Value, Option<String>, Option<i32>, String)>(c)
                .unwrap()
        })
        .await;
    assert_eq!(stored.0["fields"]["name"], "required");
    assert_eq!(stored.0["fields"]["email"], "optional");
    assert_eq!(stored.0["fields"]["birth_date"], "optional");
    assert_eq!(stored.0["questions"][0]["id"], "your_shirt_size");
    assert_eq!(stored.0["questions"][0]["visibility"], "required");
    assert_eq!(stored.0["marketing"]["version"], "v1");
    assert_eq!(stored.1.as_deref(), Some("SE,NO"));
    assert_eq!(stored.2, Some(16));
    assert_eq!(stored.3, "Europe/Stockholm");

    // The editor shows it back: local time in the contest's zone, choices ticked.
    let id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
    let (_, html) = page(&app, &alex, &format!("/dashboard/contests/{id}/edit")).await;
    assert!(html.contains(r#"value="2099-12-10T18:00""#), "{html}");
    assert!(html.contains(r#"<option value="SE" selected>"#));
    assert!(html.contains(r#"<option selected>Europe/Stockholm</option>"#));

    // Lifecycle: open it; a refused transition is a flash, not an error page.
    let r = post(
        &app,
        &alex,
        &format!("/dashboard/contests/{id}/transition"),
        &[("csrf_token", &csrf), ("to", "winners_announced")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &alex, &format!("/dashboard/contests/{id}")).await;
    assert!(html.contains("flash-error"), "{html}");
    assert!(html.contains("cannot become winners_announced"));
    let r = post(
        &app,
        &alex,
        &format!("/dashboard/contests/{id}/transition"),
        &[("csrf_token", &csrf), ("to", "open")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &alex, &format!("/dashboard/contests/{id}")).await;
    assert!(html.contains("is now open"), "{html}");
    let audited = app
        .query(|c| {
            count(
                c,
                "audit_log WHERE action IN ('contest.created', 'contest.transition')",
            )
        })
        .await;
    assert_eq!(audited, 2);

    // Long official rules (urlencoded, far above the app-wide form limit) save too.
    let rules = "Règles officielles — ".repeat(2000);
    let mut long = base.clone();
    long.retain(|(k, _)| *k != "rules_text");
    long.push(("rules_text", &rules));
    let r = post(&app, &alex, &format!("/dashboard/contests/{id}"), &long).await;
    assert_eq!(r.status(), 303);
    let stored = app
        .query(|c| count(c, "contests WHERE char_length(rules_text) > 40000"))
        .await;
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn moderation_votes_pages_and_dead_letters_work_from_the_dashboard() {
    let app = spawn_app_with(Spawn::default(), |s| s.limits.votes_per_ip_per_10m = 1000).await;
    let (c, entry_id, vote_id) = contest_with_activity(&app, "Shirt", "my idea").await;
    let id = c["id"].as_i64().unwrap();
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let (_, html) = page(&app, &alex, "/dashboard/moderation").await;
    assert!(html.contains("my idea"));
    assert!(html.contains(&format!(r#"name="entry_ids" value="{entry_id}""#)));
    let csrf = csrf_of(&html);
    let eid = entry_id.to_string();
    // Rejecting needs a reason: refused with a flash, nothing changes.
    let r = post(
        &app,
        &alex,
        "/dashboard/moderation",
        &[
            ("csrf_token", &csrf),
            ("entry_ids", &eid),
            ("status", "rejected"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &alex, "/dashboard/moderation").await;
    assert!(html.contains("needs a reason"), "{html}");
    let r = post(
        &app,
        &alex,
        "/dashboard/moderation",
        &[
            ("csrf_token", &csrf),
            ("entry_ids", &eid),
            ("status", "approved"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &alex, "/dashboard/moderation").await;
    assert!(html.contains("1 entry approved."), "{html}");
    assert!(html.contains("All caught up"));
    let (_, html) = page(&app, &alex, &format!("/dashboard/contests/{id}")).await;
    assert!(html.contains("1 vote"), "the gallery shows vote counts");

    // The brand-new voter is flagged; voiding needs a reason and is audited.
    let (_, html) = page(&app, &alex, &format!("/dashboard/votes?contest={id}")).await;
    assert!(html.contains("New identity"), "{html}");
    let r = post(
        &app,
        &alex,
        &format!("/dashboard/votes/{vote_id}/void"),
        &[("csrf_token", &csrf), ("reason", "")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.query(|c| count(c, "votes WHERE voided_at IS NOT NULL"))
            .await,
        0
    );
    let r = post(
        &app,
        &alex,
        &format!("/dashboard/votes/{vote_id}/void"),
        &[("csrf_token", &csrf), ("reason", "bought votes")],
    )
    .await;
    assert_eq!(location(&r), format!("/dashboard/votes?contest={id}"));
    assert_eq!(
        app.query(|c| count(c, "votes WHERE void_reason = 'bought votes'"))
            .await,
        1
    );

    // Pages: health badges and a working re-subscribe.
    let (_, html) = page(&app, &alex, "/dashboard/pages").await;
    assert!(html.contains("Webhooks subscribed"));
    let page_id = c["page_id"].as_i64().unwrap();
    let r = post(
        &app,
        &alex,
        &format!("/dashboard/pages/{page_id}/subscription"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &alex, "/dashboard/pages").await;
    assert!(html.contains("subscribed to webhooks again"), "{html}");

    // A page whose token Facebook stopped accepting offers to sign in again.
    app.query(move |conn| {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "UPDATE pages SET token_status = 'needs_reauth', token_error = 'Error validating access token' WHERE id = {page_id}"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    let (_, html) = page(&app, &alex, "/dashboard/pages").await;
    assert!(html.contains("Needs sign-in"), "{html}");
    assert!(html.contains("Error validating access token"));
    assert!(html
        .contains(r#"<a class="btn btn-primary" href="/auth/facebook/login">Sign in again</a>"#));

    // A dead job about Alex's contest is listed and can be retried; a system job is not listed.
    let (own, system) = app
        .query(move |conn| {
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct Id {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                id: i64,
            }
            let own = diesel::sql_query(format!(
                "INSERT INTO jobs (kind, payload, state, max_attempts, attempts, last_error, run_at) \
                 VALUES ('backfill_comments', '{{\"contest_id\": {id}}}', 'dead', 1, 1, 'graph exploded', now() + interval '1 day') RETURNING id"
            ))
            .get_result::<Id>(conn)
            .unwrap()
            .id;
            let system = diesel::sql_query(
                "INSERT INTO jobs (kind, payload, state, max_attempts, attempts, last_error) \
                 VALUES ('data_deletion', '{\"user\": \"someone\"}', 'dead', 1, 1, 'secret system error') RETURNING id",
            )
            .get_result::<Id>(conn)
            .unwrap()
            .id;
            (own, system)
        })
        .await;
    let (_, html) = page(&app, &alex, "/dashboard/webhooks").await;
    assert!(html.contains("graph exploded"), "{html}");
    assert!(!html.contains("secret system error"));
    let r = post(
        &app,
        &alex,
        &format!("/dashboard/jobs/{system}/retry"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), 404, "system jobs are not a tenant's to retry");
    let r = post(
        &app,
        &alex,
        &format!("/dashboard/jobs/{own}/retry"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &alex, "/dashboard/webhooks").await;
    assert!(html.contains("is queued again"), "{html}");
    let retried = app
        .query(move |conn| {
            count(
                conn,
                &format!("audit_log WHERE action = 'job.retried' AND subject_id = {own}"),
            )
        })
        .await;
    assert_eq!(retried, 1);
}
