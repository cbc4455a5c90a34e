//! Dashboard wave 2 over HTTP: trends and segments (charts), the leaderboard,
//! judging, and the winner draw with its commitment and verification. Each page
//! renders for its owner, is a 404 for another admin, refuses forms without a
//! CSRF token (changing nothing), and shows fan content as text.

use fanfare::platform::sandbox::seed::{ADMIN_ALEX, ADMIN_SAM};
use serde_json::json;

use crate::accounts::admin_browser;
use crate::dashboard::{contest_with_activity, page, post};
use crate::helpers::{count, spawn_app_with, Spawn, TestApp};
use crate::support::{api, csrf_of, installed};

const HOSTILE_TEXT: &str = "<img src=x onerror=alert(3)> lighthouse lighthouse";

fn assert_escaped(path: &str, html: &str) {
    for raw in ["<img src=x", "<b onmouseover", "<script>"] {
        assert!(!html.contains(raw), "{path}: {raw} rendered unescaped");
    }
    crate::ui::assert_csp_clean(html);
}

async fn app() -> TestApp {
    spawn_app_with(Spawn::default(), |s| s.limits.votes_per_ip_per_10m = 1000).await
}

async fn query_string(app: &TestApp, sql: String) -> String {
    app.query(move |c| {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct S {
            #[diesel(sql_type = diesel::sql_types::Text)]
            s: String,
        }
        diesel::sql_query(sql).get_result::<S>(c).unwrap().s
    })
    .await
}

#[tokio::test]
async fn trends_and_segments_show_charts_for_the_owner_only() {
    let app = app().await;
    let (c, _, _) = contest_with_activity(&app, "Alex secret shirt contest", HOSTILE_TEXT).await;
    let id = c["id"].as_i64().unwrap();
    let alex = admin_browser(&app, ADMIN_ALEX).await;

    let (st, html) = page(&app, &alex, "/dashboard/trends").await;
    assert_eq!(st, 200, "{html}");
    for expected in [
        "Daily activity",
        "Sentiment over time",
        "Funnel",
        "Segment sizes",
        r#"role="img""#,
        "<title>",
        "Alex secret shirt contest",
    ] {
        assert!(html.contains(expected), "trends: no {expected}");
    }
    assert!(html.contains(r#"<a href="/dashboard/trends" aria-current="page">"#));
    assert_escaped("/dashboard/trends", &html);
    // Two entries were made: the totals say so, and the words fans used show.
    assert!(html.contains("lighthouse"), "top terms");
    let (st, html) = page(
        &app,
        &alex,
        &format!("/dashboard/trends?contest={id}&days=7"),
    )
    .await;
    assert_eq!(st, 200);
    assert!(html.contains("last 7 days"));
    assert_escaped("trends?contest", &html);

    let (st, html) = page(&app, &alex, "/dashboard/segments").await;
    assert_eq!(st, 200);
    for expected in [
        "Campaigners",
        "Assistants",
        "Side-liners",
        "Movement",
        "<svg",
    ] {
        assert!(html.contains(expected), "segments: no {expected}");
    }
    assert_escaped("/dashboard/segments", &html);

    // The contest overview has a chart too.
    let (_, html) = page(&app, &alex, &format!("/dashboard/contests/{id}")).await;
    assert!(html.contains("Daily activity of this contest"));

    // Recompute: no CSRF token, nothing happens; with it, a flash. The app's
    // worker records today's segment sizes once soon after start (the periodic
    // `segment_sizes` job); it must be done first, or its rows would be taken
    // for the rejected request's. Any write to a row changes its xmin.
    app.eventually("the periodic segment sizes are recorded", |c| {
        count(c, "segment_sizes_daily") > 0 && count(c, "jobs WHERE kind = 'segment_sizes'") == 0
    })
    .await;
    let sizes = || {
        query_string(
            &app,
            "SELECT string_agg(concat_ws(':', segment_id, day, xmin), ',' \
             ORDER BY segment_id, day) AS s FROM segment_sizes_daily"
                .into(),
        )
    };
    let before = sizes().await;
    let r = post(&app, &alex, "/dashboard/segments/recompute", &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(sizes().await, before);
    let csrf = csrf_of(&html);
    let r = post(
        &app,
        &alex,
        "/dashboard/segments/recompute",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &alex, "/dashboard/segments").await;
    assert!(html.contains("Segments recomputed"), "{html}");

    // Sam sees his own (empty) page, never Alex's contest or words.
    let sam = admin_browser(&app, ADMIN_SAM).await;
    let (st, html) = page(&app, &sam, "/dashboard/trends").await;
    assert_eq!(st, 200);
    assert!(!html.contains("Alex secret"));
    assert!(!html.contains("lighthouse"));
    assert_eq!(
        page(&app, &sam, &format!("/dashboard/trends?contest={id}"))
            .await
            .0,
        404
    );
    let (st, html) = page(&app, &sam, "/dashboard/segments").await;
    assert_eq!(st, 200);
    assert!(!html.contains("Threadline"));
}

#[tokio::test]
async fn leaderboard_and_judging_for_the_owner_with_csrf_and_tenancy() {
    let app = app().await;
    let (c, pending_entry, _) = contest_with_activity(&app, "Judged", HOSTILE_TEXT).await;
    let id = c["id"].as_i64().unwrap();
    let inst = installed(&app).await;
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/entries/{pending_entry}/moderation"),
        Some(json!({"status": "approved"})),
    )
    .await;
    assert_eq!(st, 200);
    let alex = admin_browser(&app, ADMIN_ALEX).await;

    let (st, html) = page(
        &app,
        &alex,
        &format!("/dashboard/contests/{id}/leaderboard"),
    )
    .await;
    assert_eq!(st, 200);
    assert!(html.contains("By votes") && html.contains("By points"));
    assert!(html.contains("Olle"));
    assert!(html.contains("&#60;b onmouseover=alert(2)&#62;Eve&#60;/b&#62;"));
    assert_escaped("leaderboard", &html);

    let path = format!("/dashboard/contests/{id}/judging");
    let (st, html) = page(&app, &alex, &path).await;
    assert_eq!(st, 200);
    assert!(html.contains("No criteria yet"));
    assert_escaped("judging", &html);
    let csrf = csrf_of(&html);
    let criteria = format!("/dashboard/contests/{id}/criteria");
    let r = post(&app, &alex, &criteria, &[("name", "Originality")]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.query(|c| count(c, "judging_criteria")).await, 0);
    let r = post(
        &app,
        &alex,
        &criteria,
        &[
            ("csrf_token", &csrf),
            ("name", "<script>x</script>Originality"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.query(|c| count(c, "judging_criteria")).await, 1);
    let criterion: i64 = query_string(&app, "SELECT id::text AS s FROM judging_criteria".into())
        .await
        .parse()
        .unwrap();
    let (_, html) = page(&app, &alex, &path).await;
    assert!(html.contains("added."));
    assert!(html.contains("&#60;script&#62;x&#60;/script&#62;Originality"));
    assert_escaped("judging", &html);

    let field = format!("score_{criterion}");
    let scores = format!("/dashboard/entries/{pending_entry}/scores");
    let r = post(&app, &alex, &scores, &[(field.as_str(), "8")]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.query(|c| count(c, "judge_scores")).await, 0);
    let r = post(
        &app,
        &alex,
        &scores,
        &[("csrf_token", &csrf), (field.as_str(), "11")],
    )
    .await;
    assert_eq!(r.status(), 303, "out of range is a flash");
    assert_eq!(app.query(|c| count(c, "judge_scores")).await, 0);
    let r = post(
        &app,
        &alex,
        &scores,
        &[("csrf_token", &csrf), (field.as_str(), "8")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.query(|c| count(c, "judge_scores WHERE score = 8"))
            .await,
        1
    );
    let (_, html) = page(&app, &alex, &path).await;
    assert!(html.contains("Your scores for entry"));
    assert!(html.contains("Average 8.0 from 1 judge"));
    assert!(html.contains(r#"<option value="8" selected>"#));

    // Sam reaches none of it.
    let sam = admin_browser(&app, ADMIN_SAM).await;
    for p in [
        format!("/dashboard/contests/{id}/leaderboard"),
        format!("/dashboard/contests/{id}/judging"),
    ] {
        assert_eq!(page(&app, &sam, &p).await.0, 404, "{p}");
    }
    let (_, html) = page(&app, &sam, "/dashboard/contests").await;
    let sam_csrf = csrf_of(&html);
    let r = post(
        &app,
        &sam,
        &criteria,
        &[("csrf_token", &sam_csrf), ("name", "Sam's")],
    )
    .await;
    assert_eq!(r.status(), 404);
    let r = post(
        &app,
        &sam,
        &scores,
        &[("csrf_token", &sam_csrf), (field.as_str(), "1")],
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(app.query(|c| count(c, "judging_criteria")).await, 1);
    assert_eq!(app.query(|c| count(c, "judge_scores")).await, 1);
}

#[tokio::test]
async fn the_winner_draw_shows_commitment_verification_and_passes_declines_on() {
    let app = app().await;
    let (c, pending_entry, _) = contest_with_activity(&app, "Drawn", HOSTILE_TEXT).await;
    let id = c["id"].as_i64().unwrap();
    let inst = installed(&app).await;
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/entries/{pending_entry}/moderation"),
        Some(json!({"status": "approved"})),
    )
    .await;
    assert_eq!(st, 200);
    let commitment = query_string(
        &app,
        format!("SELECT commitment AS s FROM draw_seeds WHERE contest_id = {id}"),
    )
    .await;
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let path = format!("/dashboard/contests/{id}/winners");

    // Open: the commitment is public, the draw waits for the close.
    let (st, html) = page(&app, &alex, &path).await;
    assert_eq!(st, 200);
    assert!(html.contains(&commitment), "the commitment is shown");
    assert!(html.contains("Secret until the random draw"));
    assert!(html.contains("after the contest closes"));
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{id}/transition"),
        Some(json!({"to": "closed"})),
    )
    .await;
    assert_eq!(st, 200);
    let (_, html) = page(&app, &alex, &path).await;
    assert!(html.contains("2 people take part"), "{html}");
    let csrf = csrf_of(&html);

    let draw = format!("/dashboard/contests/{id}/draw");
    let form = [("method", "random"), ("winners", "1"), ("alternates", "1")];
    let r = post(&app, &alex, &draw, &form).await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.query(|c| count(c, "draws")).await, 0);

    // Another admin can neither see nor run it.
    let sam = admin_browser(&app, ADMIN_SAM).await;
    assert_eq!(page(&app, &sam, &path).await.0, 404);
    let (_, html) = page(&app, &sam, "/dashboard/contests").await;
    let sam_csrf = csrf_of(&html);
    let mut sam_form = form.to_vec();
    sam_form.push(("csrf_token", &sam_csrf));
    assert_eq!(post(&app, &sam, &draw, &sam_form).await.status(), 404);
    assert_eq!(app.query(|c| count(c, "draws")).await, 0);

    let mut ok = form.to_vec();
    ok.push(("csrf_token", &csrf));
    let r = post(&app, &alex, &draw, &ok).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.query(|c| count(c, "draws")).await, 1);
    let (_, html) = page(&app, &alex, &path).await;
    assert!(html.contains("Winners picked (verifiable random draw): 1 winner, 1 alternate."));
    assert!(html.contains("Verified"), "{html}");
    assert!(html.contains("fanfare verify-draw http://"));
    assert!(html.contains(&format!("/c/{}/draw.json", c["slug"].as_str().unwrap())));
    assert!(html.contains(&commitment));
    let seed = query_string(&app, "SELECT record->>'seed' AS s FROM draws".into()).await;
    assert!(html.contains(&seed), "the seed is revealed");
    assert_escaped("winners", &html);
    // Running it twice is refused, with a flash.
    let r = post(&app, &alex, &draw, &ok).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.query(|c| count(c, "draws")).await, 1);

    // Decline: without a token nothing changes; Sam gets a 404; Alex passes it on.
    let winner: i64 = query_string(
        &app,
        "SELECT id::text AS s FROM draw_picks WHERE status = 'won'".into(),
    )
    .await
    .parse()
    .unwrap();
    let decline = format!("/dashboard/winners/{winner}/decline");
    let r = post(&app, &alex, &decline, &[("reason", "no reply")]).await;
    assert_eq!(r.status(), 403);
    let r = post(
        &app,
        &sam,
        &decline,
        &[("csrf_token", &sam_csrf), ("reason", "mine")],
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.query(|c| count(c, "draw_picks WHERE status = 'declined'"))
            .await,
        0
    );
    let r = post(
        &app,
        &alex,
        &decline,
        &[
            ("csrf_token", &csrf),
            ("reason", "<script>no reply</script>"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &alex, &path).await;
    assert!(
        html.contains("the next alternate (pick 2) takes the prize"),
        "{html}"
    );
    assert!(html.contains("Declined and skipped"));
    assert!(html.contains("&#60;script&#62;no reply&#60;/script&#62;"));
    assert_escaped("winners after decline", &html);
    assert_eq!(
        app.query(|c| count(c, "draw_picks WHERE status = 'won'"))
            .await,
        1
    );
}

#[tokio::test]
async fn contacts_filter_paginate_and_show_a_timeline_for_the_owner_only() {
    let app = app().await;
    let (c, pending_entry, _) = contest_with_activity(&app, "CRM contest", HOSTILE_TEXT).await;
    let id = c["id"].as_i64().unwrap();
    let alex = admin_browser(&app, ADMIN_ALEX).await;

    let (st, html) = page(&app, &alex, "/dashboard/contacts").await;
    assert_eq!(st, 200);
    assert!(html.contains("Olle"));
    assert!(html.contains("&#60;b onmouseover=alert(2)&#62;Eve&#60;/b&#62;"));
    assert!(html.contains(r#"<a href="/dashboard/contacts" aria-current="page">"#));
    assert_escaped("/dashboard/contacts", &html);

    // Search, email and segment filters narrow the list.
    let (_, html) = page(&app, &alex, "/dashboard/contacts?q=olle").await;
    assert!(html.contains("Olle") && !html.contains("onmouseover"));
    assert!(html.contains(r#"value="olle""#));
    let (_, html) = page(&app, &alex, "/dashboard/contacts?email=no").await;
    assert!(!html.contains("Olle"), "both entrants gave an email");
    let (_, html) = page(
        &app,
        &alex,
        "/dashboard/contacts?segment=campaigners&q=nobody",
    )
    .await;
    assert!(html.contains("No contacts match"));
    let (st, _) = page(
        &app,
        &alex,
        "/dashboard/contacts?sentiment=positive&sort=advocacy",
    )
    .await;
    assert_eq!(st, 200);

    // Pagination: more than one page of contacts gives a next link.
    let page_id = c["page_id"].as_i64().unwrap();
    app.query(move |conn| {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "INSERT INTO contacts (page_id, display_name, first_source) \
             SELECT {page_id}, 'Bulk fan ' || g, 'comment' FROM generate_series(1, 60) g"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    let (_, html) = page(&app, &alex, "/dashboard/contacts").await;
    assert!(
        html.contains(r#"href="/dashboard/contacts?page=2" rel="next""#),
        "{html}"
    );
    let (_, html2) = page(&app, &alex, "/dashboard/contacts?page=2").await;
    assert!(html2.contains(r#"rel="prev""#));
    assert!(html2.contains("Page 2"));

    // The contact page: metrics, entries and the timeline.
    let contact = query_string(
        &app,
        format!("SELECT contact_id::text AS s FROM entries WHERE id = {pending_entry}"),
    )
    .await;
    let path = format!("/dashboard/contacts/{contact}");
    let (st, html) = page(&app, &alex, &path).await;
    assert_eq!(st, 200);
    for expected in [
        "Timeline",
        "Entered",
        "CRM contest",
        "Votes received",
        "Identities",
    ] {
        assert!(html.contains(expected), "contact page: no {expected}");
    }
    assert!(html.contains(&format!("/dashboard/contests/{id}")));
    assert!(html.contains("&#60;img src=x onerror=alert(3)&#62;"));
    assert_escaped("contact", &html);

    // Sam: his list does not show Alex's fans; Alex's contact is a 404.
    let sam = admin_browser(&app, ADMIN_SAM).await;
    let (st, html) = page(&app, &sam, "/dashboard/contacts").await;
    assert_eq!(st, 200);
    assert!(!html.contains("Olle") && !html.contains("Bulk fan"));
    assert_eq!(page(&app, &sam, &path).await.0, 404);
}

#[tokio::test]
async fn exports_download_with_csrf_and_are_listed() {
    let app = app().await;
    contest_with_activity(&app, "Export contest", HOSTILE_TEXT).await;
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let (st, html) = page(&app, &alex, "/dashboard/exports").await;
    assert_eq!(st, 200);
    assert!(html.contains("No exports yet"));
    assert!(html.contains("All contacts ("));
    let csrf = csrf_of(&html);

    let r = post(&app, &alex, "/dashboard/exports", &[("format", "csv")]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.query(|c| count(c, "audit_log WHERE action = 'export.contacts'"))
            .await,
        0
    );
    let r = post(
        &app,
        &alex,
        "/dashboard/exports",
        &[("csrf_token", &csrf), ("format", "csv"), ("segment", "")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let csv = r.text().await.unwrap();
    assert!(csv.lines().count() >= 3, "{csv}");
    let alex_ids: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert!(!alex_ids.is_empty());
    let (_, html) = page(&app, &alex, "/dashboard/exports").await;
    assert!(html.contains("Download again"));
    assert!(html.contains("by Alex Rivera"));
    // An unknown segment is refused.
    let r = post(
        &app,
        &alex,
        "/dashboard/exports",
        &[
            ("csrf_token", &csrf),
            ("format", "csv"),
            ("segment", "nope"),
        ],
    )
    .await;
    assert_eq!(r.status(), 404);

    // Sam's export holds none of Alex's contacts, and his list is empty.
    let sam = admin_browser(&app, ADMIN_SAM).await;
    let (_, html) = page(&app, &sam, "/dashboard/exports").await;
    assert!(html.contains("No exports yet"));
    let sam_csrf = csrf_of(&html);
    let r = post(
        &app,
        &sam,
        "/dashboard/exports",
        &[("csrf_token", &sam_csrf), ("format", "ndjson")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let ndjson = r.text().await.unwrap();
    for line in ndjson.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(!alex_ids.contains(&v["id"].to_string()), "{line}");
    }
}

#[tokio::test]
async fn prize_polls_open_moderate_close_and_adopt_from_the_dashboard() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = crate::polls::draft(&app, &inst).await;
    let cid = c["id"].as_i64().unwrap();
    let slug = c["slug"].as_str().unwrap().to_string();
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let path = format!("/dashboard/contests/{cid}/poll");
    let (st, html) = page(&app, &alex, &path).await;
    assert_eq!(st, 200);
    assert!(html.contains("Open a prize poll"));
    let csrf = csrf_of(&html);
    let closes = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let form = [
        ("budget", "250"),
        ("currency", "usd"),
        ("closes_at", closes.as_str()),
    ];
    assert_eq!(post(&app, &alex, &path, &form).await.status(), 403);
    assert_eq!(app.query(|c| count(c, "prize_polls")).await, 0);
    // Over the cap of a valid amount: a flash, nothing stored.
    let mut bad = form.to_vec();
    bad[0] = ("budget", "12.345");
    bad.push(("csrf_token", &csrf));
    assert_eq!(post(&app, &alex, &path, &bad).await.status(), 303);
    assert_eq!(app.query(|c| count(c, "prize_polls")).await, 0);
    let mut ok = form.to_vec();
    ok.push(("csrf_token", &csrf));
    assert_eq!(post(&app, &alex, &path, &ok).await.status(), 303);
    assert_eq!(app.query(|c| count(c, "prize_polls")).await, 1);
    let (_, html) = page(&app, &alex, &path).await;
    assert!(html.contains("250.00 USD"), "{html}");

    let fan = crate::support::fan_logged_in(
        &app,
        &(fanfare::platform::sandbox::seed::FIRST_FAN + 1).to_string(),
        &slug,
    )
    .await;
    let (st, body) = crate::polls::suggest(
        &app,
        &fan,
        &slug,
        "<script>alert(1)</script> Tour hoodie",
        "40",
        "",
    )
    .await;
    assert!(st == 201 || st == 200, "{st} {body}");
    let sid = body["suggestion"]["id"]
        .as_i64()
        .or_else(|| body["id"].as_i64())
        .unwrap_or_else(|| panic!("{body}"));
    let (_, html) = page(&app, &alex, &path).await;
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62; Tour hoodie"));
    assert_escaped("poll", &html);
    let (_, html) = page(&app, &alex, "/dashboard/polls").await;
    assert!(html.contains("Budget 250.00 USD"));

    let moderation = format!("/dashboard/suggestions/{sid}/moderation");
    let r = post(&app, &alex, &moderation, &[("status", "approved")]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.query(|c| count(c, "poll_suggestions WHERE status = 'approved'"))
            .await,
        0
    );
    let r = post(
        &app,
        &alex,
        &moderation,
        &[("csrf_token", &csrf), ("status", "approved")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.query(|c| count(c, "poll_suggestions WHERE status = 'approved'"))
            .await,
        1
    );
    let poll_id: i64 = query_string(&app, "SELECT id::text AS s FROM prize_polls".into())
        .await
        .parse()
        .unwrap();

    // Sam reaches none of it.
    let sam = admin_browser(&app, ADMIN_SAM).await;
    assert_eq!(page(&app, &sam, &path).await.0, 404);
    let (_, html) = page(&app, &sam, "/dashboard/polls").await;
    assert!(!html.contains("Summer shirt"));
    let sam_csrf = csrf_of(&html);
    let sid_s = sid.to_string();
    for (p, f) in [
        (format!("/dashboard/polls/{poll_id}/close"), vec![]),
        (
            format!("/dashboard/polls/{poll_id}/adopt"),
            vec![("suggestion_id", sid_s.as_str())],
        ),
        (moderation.clone(), vec![("status", "pending")]),
    ] {
        let mut f = f.clone();
        f.push(("csrf_token", &sam_csrf));
        assert_eq!(post(&app, &sam, &p, &f).await.status(), 404, "{p}");
    }

    let close = format!("/dashboard/polls/{poll_id}/close");
    assert_eq!(post(&app, &alex, &close, &[]).await.status(), 403);
    assert_eq!(
        app.query(|c| count(c, "prize_polls WHERE closed_at IS NULL"))
            .await,
        1
    );
    let r = post(&app, &alex, &close, &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), 303);
    let adopt = format!("/dashboard/polls/{poll_id}/adopt");
    let r = post(
        &app,
        &alex,
        &adopt,
        &[("csrf_token", &csrf), ("suggestion_id", &sid_s)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.query(|c| count(c, "contests WHERE prize LIKE '%Tour hoodie%'"))
            .await,
        1
    );
    let (_, html) = page(&app, &alex, &path).await;
    assert!(html.contains("The prize is now"));
    assert!(html.contains("The prize</span>"));
}

#[tokio::test]
async fn point_rules_are_edited_in_the_contest_editor() {
    let app = app().await;
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let (_, html) = page(&app, &alex, "/dashboard/contests/new").await;
    // A new contest offers the starter rules.
    assert!(html.contains(r#"name="points_entry" value="10""#), "{html}");
    assert!(html.contains("Points per bonus draw entry"));
    let csrf = csrf_of(&html);
    let base: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("kind", "ugc"),
        ("title", "Pointed"),
        ("entry_limit", "once"),
        ("vote_limit", "daily"),
        ("time_zone", "UTC"),
        ("points_present", "1"),
        ("points_entry", "15"),
        ("points_referral_conversion", "30"),
        ("points_referral_conversion_per_day", "90"),
        ("points_vote_received", ""),
        ("points_daily_visit", "1"),
        ("points_daily_visit_per_contact", "7"),
        ("points_per_bonus_entry", "20"),
    ];
    let r = post(&app, &alex, "/dashboard/contests", &base).await;
    assert_eq!(r.status(), 303);
    let rules = query_string(
        &app,
        "SELECT point_rules::text || ' ' || points_per_bonus_entry::text AS s FROM contests".into(),
    )
    .await;
    let (json_part, bonus) = rules.rsplit_once(' ').unwrap();
    let v: serde_json::Value = serde_json::from_str(json_part).unwrap();
    assert_eq!(v["entry"]["points"], 15);
    assert_eq!(v["referral_conversion"]["per_day"], 90);
    assert!(v.get("vote_received").is_none(), "blank points: none");
    assert_eq!(v["daily_visit"]["per_contact"], 7);
    assert_eq!(bonus, "20");
    let id: i64 = query_string(&app, "SELECT id::text AS s FROM contests".into())
        .await
        .parse()
        .unwrap();
    let (_, html) = page(&app, &alex, &format!("/dashboard/contests/{id}/edit")).await;
    assert!(html.contains(r#"name="points_entry" value="15""#));

    // Out of range: refused with the reason, nothing changes.
    let mut bad = base.clone();
    bad.retain(|(k, _)| *k != "points_entry");
    bad.push(("points_entry", "-5"));
    let r = post(&app, &alex, &format!("/dashboard/contests/{id}"), &bad).await;
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Entry.points must be within 0..=100000"),
        "{body}"
    );
    assert_eq!(
        app.query(|c| count(c, "contests WHERE point_rules->'entry'->>'points' = '15'"))
            .await,
        1
    );
}
