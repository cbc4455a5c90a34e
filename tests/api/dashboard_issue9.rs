//! Dashboard, issue 9's last items: the entries CSV download, every point rule
//! (bonus questions too) in the contest editor, custom segments edited in the
//! dashboard, and the overview at `/dashboard`. Each is for its owner only.

use fanfare::platform::sandbox::seed::{ADMIN_ALEX, ADMIN_SAM};
use serde_json::json;

use crate::accounts::admin_browser;
use crate::dashboard::{contest_with_activity, page, post};
use crate::helpers::{count, spawn_app_with, Spawn, TestApp};
use crate::support::{api, csrf_of, installed};

/// A formula with a comma and quotes: CSV quoting and injection in one cell.
const FORMULA_TEXT: &str = r#"=HYPERLINK("http://evil.test","win"), then more"#;

async fn app() -> TestApp {
    spawn_app_with(Spawn::default(), |s| s.limits.votes_per_ip_per_10m = 1000).await
}

fn parse_csv(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("well-formed CSV"))
        .collect()
}

#[tokio::test]
async fn entries_download_as_safe_csv_for_the_owner_only() {
    let app = app().await;
    let (c, pending_id, _) = contest_with_activity(&app, "CSV contest", FORMULA_TEXT).await;
    let id = c["id"].as_i64().unwrap();
    let path = format!("/dashboard/contests/{id}/entries.csv");
    let alex = admin_browser(&app, ADMIN_ALEX).await;

    // The contest page links to the download.
    let (_, html) = page(&app, &alex, &format!("/dashboard/contests/{id}")).await;
    assert!(html.contains(&format!(r#"href="{path}""#)), "{html}");

    let r = alex.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let text = r.text().await.unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(
        header,
        "id,status,author,text,image_url,votes,points,judge_score,created_at,source"
    );
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 2, "{text}");
    let pending = rows
        .iter()
        .find(|r| r[0] == pending_id.to_string())
        .expect("the pending entry");
    assert_eq!(&pending[1], "pending");
    // The fan's name is kept as typed (it is text in a CSV, not HTML)...
    assert_eq!(&pending[2], "<b onmouseover=alert(2)>Eve</b>");
    // ...and a formula becomes text: one leading quote, the rest intact.
    assert_eq!(pending[3], format!("'{FORMULA_TEXT}"));
    assert_eq!(&pending[9], "form");
    let approved = rows.iter().find(|r| &r[1] == "approved").unwrap();
    assert_eq!(&approved[2], "Olle");
    assert_eq!(&approved[5], "1", "the counted vote");
    // The starter rules: 10 points for entering, 1 for the vote received.
    assert_eq!(&approved[6], "11");
    assert!(
        chrono::DateTime::parse_from_rfc3339(&approved[8]).is_ok(),
        "{}",
        &approved[8]
    );
    // No cell of the file starts a formula.
    for row in &rows {
        for cell in row.iter().filter(|c| !c.is_empty()) {
            assert!(
                !cell.starts_with(['=', '+', '@', '\t', '\r']),
                "unsafe cell {cell:?}"
            );
        }
    }

    // Sam gets a 404 and none of Alex's data; signed out, a redirect.
    let sam = admin_browser(&app, ADMIN_SAM).await;
    let r = sam.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(!body.contains("HYPERLINK") && !body.contains("Olle"));
    let anon = crate::accounts::browser();
    let r = anon.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn the_overview_shows_each_own_page_with_charts_and_token_trouble() {
    let app = app().await;
    let (c, _, _) = contest_with_activity(&app, "Alex secret shirt contest", "lighthouse").await;
    let id = c["id"].as_i64().unwrap();
    let alex_page = c["page_id"].as_i64().unwrap();
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    // One of Alex's pages lost its token (after sign-in, which renews tokens).
    app.query(move |conn| {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "UPDATE pages SET token_status = 'needs_reauth' WHERE id = {alex_page}"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    let (st, html) = page(&app, &alex, "/dashboard").await;
    assert_eq!(st, 200);
    crate::ui::assert_csp_clean(&html);
    for expected in [
        "<h1>Overview</h1>",
        "Threadline Apparel",
        "Alex secret shirt contest",
        &format!(r#"href="/dashboard/contests/{id}""#),
        "Daily activity on",
        "Contacts per segment",
        r#"role="img""#,
        "Needs attention:",
        "Facebook no longer accepts this page",
        r#"<a href="/dashboard" aria-current="page">"#,
        r#"href="/dashboard/exports""#,
    ] {
        assert!(html.contains(expected), "overview: no {expected}");
    }
    // One pending entry waits on the page with the open contest.
    assert!(html.contains("Review now"));
    // Every page Alex manages has its own card, and only those.
    let cards = html.matches(r#"class="card overview-page""#).count();
    let alex_pages = app
        .query(|conn| {
            count(
                conn,
                &format!(
                    "page_admins pa JOIN admins a ON a.id = pa.admin_id WHERE a.fb_user_id = '{ADMIN_ALEX}'"
                ),
            )
        })
        .await;
    assert_eq!(cards as i64, alex_pages);

    // Sam's overview: his own page, none of Alex's pages, contests or trouble.
    let sam = admin_browser(&app, ADMIN_SAM).await;
    let (st, html) = page(&app, &sam, "/dashboard").await;
    assert_eq!(st, 200);
    for secret in ["Alex secret", "Threadline", "Needs attention:"] {
        assert!(!html.contains(secret), "Sam's overview shows {secret}");
    }
    assert_eq!(html.matches(r#"class="card overview-page""#).count(), 1);
}

#[tokio::test]
async fn custom_segments_are_created_edited_and_deleted_in_the_dashboard() {
    let app = app().await;
    contest_with_activity(&app, "Segmented", "lighthouse").await;
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let (st, html) = page(&app, &alex, "/dashboard/segments/new").await;
    assert_eq!(st, 200);
    assert!(html.contains("marketing_opt_in"), "the field list");
    let csrf = csrf_of(&html);
    let custom = || async {
        app.query(|c| count(c, "segments WHERE kind = 'custom'"))
            .await
    };

    // Without the CSRF token nothing is created.
    let rule = r#"{"field": "entries", "op": "gte", "value": 1}"#;
    let r = post(
        &app,
        &alex,
        "/dashboard/segments",
        &[("name", "Entrants"), ("rule", rule)],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(custom().await, 0);

    // A bad rule: the form again, with the reason and where, nothing saved.
    let bad = r#"{"all": [{"field": "entries", "op": "gtt", "value": 1}]}"#;
    let r = post(
        &app,
        &alex,
        "/dashboard/segments",
        &[("csrf_token", &csrf), ("name", "Entrants"), ("rule", bad)],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("The segment was not saved."), "{html}");
    assert!(html.contains("unknown operator"), "{html}");
    assert!(html.contains("$.all[0].op"), "{html}");
    assert!(html.contains("gtt"), "what was typed is kept");
    let r = post(
        &app,
        &alex,
        "/dashboard/segments",
        &[
            ("csrf_token", &csrf),
            ("name", "Entrants"),
            ("rule", "{not json"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("not valid JSON"));
    assert_eq!(custom().await, 0);

    // A good one, with a hostile name: created, sized, listed as text.
    let hostile = "<script>alert(1)</script> entrants";
    let r = post(
        &app,
        &alex,
        "/dashboard/segments",
        &[("csrf_token", &csrf), ("name", hostile), ("rule", rule)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &alex, "/dashboard/segments").await;
    assert!(html.contains("was created: 2 contacts."), "{html}");
    assert!(html.contains("entries at least 1"), "the rule in words");
    assert!(!html.contains("<script>alert(1)"), "name escaped");
    assert!(html.contains("&lt;script&gt;"));
    let id = app
        .query(|c| {
            use diesel::prelude::*;
            use fanfare::db::schema::segments::dsl as s;
            s::segments
                .filter(s::kind.eq("custom"))
                .select(s::id)
                .first::<i64>(c)
                .unwrap()
        })
        .await;
    assert!(html.contains(&format!("/dashboard/segments/{id}/edit")));
    // The same name twice is refused with the reason.
    let r = post(
        &app,
        &alex,
        "/dashboard/segments",
        &[
            ("csrf_token", &csrf),
            ("name", &hostile.to_uppercase()),
            ("rule", rule),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("segment with that name exists"));
    assert_eq!(custom().await, 1);
    // The API sees the same segment with its size (one domain, two doors).
    let inst = installed(&app).await;
    let (st, body) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/segments/{id}"),
        None,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(body["size"], 2, "{body}");

    // Edit: the form shows the rule; a new rule and name change the size.
    let (st, html) = page(&app, &alex, &format!("/dashboard/segments/{id}/edit")).await;
    assert_eq!(st, 200);
    assert!(
        html.contains("&quot;entries&quot;") || html.contains("&#34;entries&#34;"),
        "{html}"
    );
    let stricter = r#"{"field": "votes_received", "op": "gte", "value": 1}"#;
    let r = post(
        &app,
        &alex,
        &format!("/dashboard/segments/{id}"),
        &[
            ("csrf_token", &csrf),
            ("name", "Voted for"),
            ("rule", stricter),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, body) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/segments/{id}"),
        None,
    )
    .await;
    assert_eq!(body["size"], 1, "{body}");
    assert_eq!(body["name"], "Voted for", "{body}");
    // A bad edit changes nothing.
    let r = post(
        &app,
        &alex,
        &format!("/dashboard/segments/{id}"),
        &[("csrf_token", &csrf), ("name", ""), ("rule", stricter)],
    )
    .await;
    assert_eq!(r.status(), 422);
    let (_, body) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/segments/{id}"),
        None,
    )
    .await;
    assert_eq!(body["name"], "Voted for");

    // Sam reaches none of it.
    let sam = admin_browser(&app, ADMIN_SAM).await;
    let (_, sam_html) = page(&app, &sam, "/dashboard/segments").await;
    assert!(!sam_html.contains("Voted for"));
    let sam_csrf = csrf_of(&sam_html);
    assert_eq!(
        page(&app, &sam, &format!("/dashboard/segments/{id}/edit"))
            .await
            .0,
        404
    );
    for path in [
        format!("/dashboard/segments/{id}"),
        format!("/dashboard/segments/{id}/delete"),
    ] {
        let r = post(
            &app,
            &sam,
            &path,
            &[("csrf_token", &sam_csrf), ("name", "Mine"), ("rule", rule)],
        )
        .await;
        assert_eq!(r.status(), 404, "{path}");
    }
    assert_eq!(custom().await, 1);

    // Delete: CSRF first, then gone.
    let path = format!("/dashboard/segments/{id}/delete");
    assert_eq!(post(&app, &alex, &path, &[]).await.status(), 403);
    assert_eq!(custom().await, 1);
    let r = post(&app, &alex, &path, &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(custom().await, 0);
    let (_, html) = page(&app, &alex, "/dashboard/segments").await;
    assert!(html.contains("was deleted"), "{html}");
}

#[tokio::test]
async fn every_point_rule_round_trips_through_the_contest_editor() {
    let app = app().await;
    let inst = installed(&app).await;
    let alex = admin_browser(&app, ADMIN_ALEX).await;
    let (_, html) = page(&app, &alex, "/dashboard/contests/new").await;
    assert!(html.contains(r#"name="points_bonus_question""#), "{html}");
    assert!(html.contains("Earns bonus points"));
    let csrf = csrf_of(&html);
    let form: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("kind", "ugc"),
        ("title", "Quiz"),
        ("entry_limit", "once"),
        ("vote_limit", "daily"),
        ("time_zone", "UTC"),
        ("q0_label", "Capital of France?"),
        ("q0_kind", "text"),
        ("q0_bonus", "on"),
        ("q0_bonus_answer", "Paris"),
        ("q1_label", "Favourite colour"),
        ("q1_kind", "text"),
        ("q1_bonus", "on"),
        ("q2_label", "Shoe size"),
        ("q2_kind", "text"),
        ("points_present", "1"),
        ("points_entry", "12"),
        ("points_entry_per_contact", "12"),
        ("points_referral_conversion", "30"),
        ("points_referral_conversion_per_day", "90"),
        ("points_vote_received", "2"),
        ("points_vote_received_per_day", "20"),
        ("points_daily_visit", "1"),
        ("points_daily_visit_per_day", "1"),
        ("points_bonus_question", "5"),
        ("points_bonus_question_per_day", "20"),
        ("points_bonus_question_per_contact", "40"),
        ("points_per_bonus_entry", "25"),
    ];
    let r = post(&app, &alex, "/dashboard/contests", &form).await;
    assert_eq!(r.status(), 303);
    let id: i64 = r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/dashboard/contests/")
        .parse()
        .unwrap();
    let (_, c) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{id}"),
        None,
    )
    .await;
    assert_eq!(
        c["point_rules"],
        json!({
            "entry": {"points": 12, "per_contact": 12},
            "referral_conversion": {"points": 30, "per_day": 90},
            "vote_received": {"points": 2, "per_day": 20},
            "daily_visit": {"points": 1, "per_day": 1},
            "bonus_question": {
                "points": 5, "per_day": 20, "per_contact": 40,
                "questions": {"capital_of_france": "Paris", "favourite_colour": null}
            }
        }),
        "{c}"
    );
    assert_eq!(c["points_per_bonus_entry"], 25);

    // The editor shows them back: ticked, with the expected answer.
    let edit = format!("/dashboard/contests/{id}/edit");
    let (_, html) = page(&app, &alex, &edit).await;
    assert!(
        html.contains(r#"name="points_bonus_question" value="5""#),
        "{html}"
    );
    assert!(html.contains(r#"name="points_bonus_question_per_contact" value="40""#));
    assert!(html.contains(r#"name="q0_bonus" value="on" checked"#));
    assert!(html.contains(r#"name="q0_bonus_answer" value="Paris""#));
    assert!(html.contains(r#"name="q1_bonus" value="on" checked"#));
    assert!(!html.contains(r#"name="q2_bonus" value="on" checked"#));

    // Saving the form again as shown keeps every rule (nothing is lost on edit).
    let q_ids: Vec<(&str, &str)> = vec![
        ("q0_id", "capital_of_france"),
        ("q1_id", "favourite_colour"),
        ("q2_id", "shoe_size"),
    ];
    let mut again = form.clone();
    again.extend(q_ids.iter().copied());
    let r = post(&app, &alex, &format!("/dashboard/contests/{id}"), &again).await;
    assert_eq!(r.status(), 303);
    let (_, c2) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{id}"),
        None,
    )
    .await;
    assert_eq!(c2["point_rules"], c["point_rules"]);

    // Bonus points without any question ticked: refused, nothing changes.
    let mut bad = again.clone();
    bad.retain(|(k, _)| !k.ends_with("_bonus"));
    let r = post(&app, &alex, &format!("/dashboard/contests/{id}"), &bad).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("must name at least one question"), "{body}");
    let (_, c3) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{id}"),
        None,
    )
    .await;
    assert_eq!(c3["point_rules"], c["point_rules"]);
}
