//! The social CRM: idempotent event processing, personas, rule segments, trends,
//! exports, reach, and data rights (own-data export, deletion scan).

use diesel::prelude::*;
use fanfare::platform::sandbox::seed::{BRAND_PAGE, FIRST_FAN};
use serde_json::{json, Value};

use crate::accounts::browser;
use crate::helpers::{count, drain, spawn_app, TestApp};
use crate::support::{
    api, enter, entry_id, fan_logged_in, fan_page, installed, open_contest, vote_as,
};

pub fn fan(n: u64) -> String {
    (FIRST_FAN + n).to_string()
}

pub async fn sandbox(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app
        .client
        .post(app.url(&format!("/sandbox/admin/{path}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// Waits until every delivered event is processed and segments are current.
pub async fn settled(app: &TestApp) {
    app.client
        .post(app.url("/sandbox/admin/flush"))
        .send()
        .await
        .unwrap();
    app.eventually("events processed, queue drained, segments current", |c| {
        count(c, "webhook_events WHERE processed_at IS NULL") == 0
            && count(c, "jobs WHERE state = 'queued'")
                == count(c, "jobs WHERE state = 'queued' AND run_at > now()")
            && count(c, "contact_metrics_dirty") == 0
    })
    .await;
}

/// A canonical dump of everything event processing writes.
fn dump(c: &mut PgConnection) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    let queries = [
        "SELECT concat_ws('|', id, page_id, display_name, email, first_source) AS line FROM contacts",
        "SELECT concat_ws('|', contact_id, kind, value, name) AS line FROM contact_identities",
        "SELECT concat_ws('|', contact_id, contest_id, kind, dedupe_key, details::text) AS line FROM activities",
        "SELECT concat_ws('|', contest_id, contact_id, comment_id, status, text, entry_period) AS line FROM entries",
        "SELECT concat_ws('|', contact_id, entries, comments, reactions, shares, mentions, ratings, posts, round(sentiment_sum::numeric, 9), sentiment_count, advocacy) AS line FROM contact_metrics",
        // Rollups are split over shards picked by the writing backend, so the
        // float sum is added in a varying order: compare it rounded.
        "SELECT concat_ws('|', page_id, contest_id, day, kind, sum(n), round(sum(sentiment_sum)::numeric, 9), sum(sentiment_count)) AS line FROM daily_stats GROUP BY page_id, contest_id, day, kind",
        // Segment ids depend on when a page's segments were first created; keys do not.
        "SELECT concat_ws('|', s.page_id, s.key, sm.contact_id) AS line FROM segment_memberships sm JOIN segments s ON s.id = sm.segment_id",
    ];
    let mut out = Vec::new();
    for q in queries {
        let mut lines: Vec<String> = diesel::sql_query(q)
            .load::<Line>(c)
            .unwrap()
            .into_iter()
            .map(|l| l.line)
            .collect();
        lines.sort();
        out.extend(lines);
    }
    out
}

#[tokio::test]
async fn replaying_the_whole_webhook_history_twice_changes_nothing() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let post = format!("{BRAND_PAGE}_556");
    let (_, c) = api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/contests",
        Some(json!({
            "page_id": inst.page_id, "kind": "comment_to_enter", "title": "Comment to win",
            "rules_text": "Comment to enter.", "linked_post_id": post, "auto_approve": true
        })),
    )
    .await;
    api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{}/transition", c["id"]),
        Some(json!({"to": "open"})),
    )
    .await;
    let a = sandbox(
        &app,
        "comments",
        json!({"post_id": post, "user_id": fan(1), "message": "I love this, amazing!"}),
    )
    .await;
    sandbox(&app, "comments", json!({"post_id": post, "user_id": fan(2), "message": "Terrible shipping, very disappointed"})).await;
    sandbox(
        &app,
        "reactions",
        json!({"post_id": post, "user_id": fan(3), "reaction_type": "love"}),
    )
    .await;
    sandbox(
        &app,
        "shares",
        json!({"post_id": post, "user_id": fan(1), "message": "Look at this"}),
    )
    .await;
    sandbox(
        &app,
        "mentions",
        json!({"page_id": BRAND_PAGE, "message": "@Threadline is great"}),
    )
    .await;
    sandbox(&app, "ratings", json!({"page_id": BRAND_PAGE, "user_id": fan(4), "rating": 5, "review_text": "Great quality"})).await;
    sandbox(&app, "webhooks", json!({"page_id": BRAND_PAGE, "field": "feed", "value": {
        "item": "comment", "verb": "edited", "comment_id": a["comment_id"], "post_id": post, "parent_id": post,
        "from": {"id": fan(1), "name": "x"}, "message": "I love this, edited", "created_time": chrono::Utc::now().timestamp()}})).await;
    settled(&app).await;
    let first = app.query(dump).await;
    assert!(first.len() > 15, "the history produced CRM data: {first:?}");
    assert!(
        first.iter().any(|l| l.contains("I love this, edited")),
        "the edit is reflected"
    );

    for round in 0..2 {
        app.query(|c| {
            diesel::sql_query("UPDATE webhook_events SET processed_at = NULL").execute(c).unwrap();
            diesel::sql_query(
                "INSERT INTO jobs (kind, payload, max_attempts) SELECT 'process_event', jsonb_build_object('event_id', id), 5 FROM webhook_events",
            )
            .execute(c)
            .unwrap();
            diesel::sql_query("NOTIFY fanfare_jobs").execute(c).unwrap();
        })
        .await;
        settled(&app).await;
        assert_eq!(
            app.query(dump).await,
            first,
            "replay {round} changed the CRM"
        );
    }
}

#[tokio::test]
async fn personas_classify_constructed_fans() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true, "form_schema": {"fields": {"email": "required"}}}),
    )
    .await;
    let slug = c["slug"].as_str().unwrap().to_string();
    // Assistant: enters, tells nobody.
    let a = browser();
    let csrf = fan_page(&app, &a, &slug).await;
    enter(
        &app,
        &a,
        &slug,
        &csrf,
        &[
            ("email", "assistant@fan.io"),
            ("text", "quiet idea"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    // Campaigner: enters and rallies three votes.
    let b = fan_logged_in(&app, &fan(10), &slug).await;
    let bcsrf = fan_page(&app, &b, &slug).await;
    let (_, body) = enter(
        &app,
        &b,
        &slug,
        &bcsrf,
        &[
            ("email", "campaigner@fan.io"),
            ("text", "loud idea"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    let entry = entry_id(&body);
    for v in 11..14 {
        assert_eq!(vote_as(&app, &fan(v), &slug, entry).await.0, 200);
    }
    // Side-liners: one comments on the page without entering, one views through the tab.
    sandbox(
        &app,
        "comments",
        json!({"post_id": format!("{BRAND_PAGE}_557"), "user_id": fan(20), "message": "nice"}),
    )
    .await;
    let sr = fanfare::platform::facebook::signed_request::sign(
        &json!({"algorithm": "HMAC-SHA256", "issued_at": chrono::Utc::now().timestamp(), "user_id": fan(21), "page": {"id": BRAND_PAGE}}),
        app.app_secret().as_bytes(),
    );
    browser()
        .post(app.url("/tab"))
        .form(&[("signed_request", sr)])
        .send()
        .await
        .unwrap();
    settled(&app).await;
    app.query(|c| {
        diesel::sql_query(
            "INSERT INTO jobs (kind, payload, max_attempts) VALUES ('segments_refresh', '{}', 3)",
        )
        .execute(c)
        .unwrap()
    })
    .await;
    settled(&app).await;
    let (_, segs) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/segments?page_id={}", inst.page_id),
        None,
    )
    .await;
    let size = |key: &str| {
        segs["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap()["size"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(size("campaigner"), 1);
    assert_eq!(
        size("assistant"),
        4,
        "the quiet entrant and the three voters"
    );
    assert_eq!(size("side_liner"), 2);
    let members = |key: &'static str| {
        let app = &app;
        let token = inst.token.clone();
        let page = inst.page_id;
        async move {
            let (_, list) = api(
                app,
                &token,
                "GET",
                &format!("/api/v1/contacts?page_id={page}&segment={key}"),
                None,
            )
            .await;
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["email"].as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(members("campaigner").await, vec!["campaigner@fan.io"]);
    assert!(members("assistant")
        .await
        .contains(&"assistant@fan.io".to_string()));
    // The full recompute agrees with the incremental one.
    let (st, r) = api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/segments/recompute",
        Some(json!({"page_id": inst.page_id})),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        r["sizes"],
        json!({"campaigner": 1, "assistant": 4, "side_liner": 2})
    );
}

#[tokio::test]
async fn custom_rule_segments_are_validated_and_evaluated() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true, "form_schema": {"fields": {"email": "required", "postal_code": "optional", "country": "optional"}}})).await;
    let slug = c["slug"].as_str().unwrap().to_string();
    for (n, postal, text) in [
        (30, "94107", "I absolutely love this wonderful brand"),
        (31, "10001", "I absolutely love this wonderful brand"),
        (32, "94110", "meh"),
    ] {
        let b = fan_logged_in(&app, &fan(n), &slug).await;
        let csrf = fan_page(&app, &b, &slug).await;
        let email = format!("f{n}@fan.io");
        let (st, _) = enter(
            &app,
            &b,
            &slug,
            &csrf,
            &[
                ("email", email.as_str()),
                ("postal_code", postal),
                ("country", "US"),
                ("text", text),
                ("accept_rules", "on"),
            ],
            true,
        )
        .await;
        assert_eq!(st, 201);
        for _ in 0..3 {
            sandbox(
                &app,
                "shares",
                json!({"post_id": format!("{BRAND_PAGE}_555"), "user_id": fan(n)}),
            )
            .await;
        }
    }
    settled(&app).await;
    let rule = json!({"all": [
        {"field": "postal_code", "op": "starts_with", "value": "94"},
        {"field": "sentiment", "op": "gt", "value": 0.3},
        {"field": "shares", "op": "gte", "value": 3}
    ]});
    let (st, seg) = api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/segments",
        Some(json!({"page_id": inst.page_id, "name": "Bay Area fans", "rule": rule})),
    )
    .await;
    assert_eq!(st, 201, "{seg}");
    assert_eq!(seg["size"], 1, "only the happy sharer in 94…");
    let (_, list) = api(
        &app,
        &inst.token,
        "GET",
        &format!(
            "/api/v1/contacts?page_id={}&segment={}",
            inst.page_id,
            seg["key"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(list["data"][0]["email"], "f30@fan.io");
    let (st, err) = api(&app, &inst.token, "POST", "/api/v1/segments", Some(json!({"page_id": inst.page_id, "name": "bad", "rule": {"all": [{"field": "shares", "op": "gtt", "value": 3}]}}))).await;
    assert_eq!(st, 422);
    assert_eq!(err["error"]["code"], "invalid_rule");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("$.all[0].op"),
        "{err}"
    );
    let (st, err) = api(&app, &inst.token, "POST", "/api/v1/segments", Some(json!({"page_id": inst.page_id, "name": "x", "rule": {"field": "postal_code", "op": "eq", "value": "'; DROP TABLE contacts; --"}}))).await;
    assert_eq!(
        (st, err["size"].as_i64()),
        (201, Some(0)),
        "metacharacters are data"
    );
    assert!(app.query(|c| count(c, "contacts")).await > 0);
}

#[tokio::test]
async fn trends_count_constructed_activity() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true, "form_schema": {"fields": {"email": "required"}}}),
    )
    .await;
    let (slug, id) = (
        c["slug"].as_str().unwrap().to_string(),
        c["id"].as_i64().unwrap(),
    );
    let mut entry = 0;
    for (i, text) in [
        "Wonderful #shirt design with mountains",
        "Mountains and rivers #shirt",
        "Skyline shirt #city",
    ]
    .iter()
    .enumerate()
    {
        let b = browser();
        let csrf = fan_page(&app, &b, &slug).await;
        let email = format!("t{i}@fan.io");
        let (_, body) = enter(
            &app,
            &b,
            &slug,
            &csrf,
            &[
                ("email", email.as_str()),
                ("text", text),
                ("accept_rules", "on"),
            ],
            true,
        )
        .await;
        entry = entry_id(&body);
    }
    for v in 40..42 {
        assert_eq!(vote_as(&app, &fan(v), &slug, entry).await.0, 200);
    }
    let (st, t) = api(
        &app,
        &inst.token,
        "GET",
        &format!(
            "/api/v1/trends?page_id={}&contest_id={id}&days=7",
            inst.page_id
        ),
        None,
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let series = |name: &str| -> i64 {
        t["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .sum()
    };
    assert_eq!(series("entries"), 3);
    assert_eq!(series("votes"), 2);
    assert_eq!(
        series("views"),
        5,
        "three entrants and two voters viewed the page"
    );
    assert_eq!(t["funnel"]["entries"], 3);
    assert_eq!(t["funnel"]["views"], 5);
    assert_eq!(t["days"].as_array().unwrap().len(), 7);
    assert_eq!(t["hashtags"][0], json!(["#shirt", 2]));
    assert!(t["top_terms"]
        .as_array()
        .unwrap()
        .contains(&json!(["mountains", 2])));
    assert!(
        !t["top_terms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x[0] == "with" || x[0] == "and"),
        "stopwords removed"
    );
    let today = t["sentiment"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(today > 0.0, "positive texts today: {today}");
}

#[tokio::test]
async fn exports_stream_csv_and_ndjson_honouring_consent_and_segments() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true, "form_schema": {
        "fields": {"name": "optional", "email": "required"},
        "marketing": {"text": "News please", "version": "1"}}}),
    )
    .await;
    let slug = c["slug"].as_str().unwrap().to_string();
    for (email, optin) in [("yes@fan.io", true), ("no@fan.io", false)] {
        let b = browser();
        let csrf = fan_page(&app, &b, &slug).await;
        let mut f = vec![
            ("email", email),
            ("name", "Some Name"),
            ("text", "x"),
            ("accept_rules", "on"),
        ];
        if optin {
            f.push(("marketing_opt_in", "on"));
        }
        enter(&app, &b, &slug, &csrf, &f, true).await;
    }
    settled(&app).await;
    let get = |q: String| {
        let app = &app;
        let token = inst.token.clone();
        async move {
            let r = app
                .client
                .get(app.url(&format!("/api/v1/exports/contacts?{q}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string()),
                r.text().await.unwrap(),
            )
        }
    };
    let (st, ct, csv) = get(format!("page_id={}&format=csv", inst.page_id)).await;
    assert_eq!((st, ct.as_deref()), (200, Some("text/csv; charset=utf-8")));
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("contact_id,name,email"));
    assert_eq!(lines.len(), 3);
    assert!(csv.contains("yes@fan.io"));
    assert!(
        !csv.contains("no@fan.io"),
        "no demographics without consent"
    );
    let (_, _, nd) = get(format!(
        "page_id={}&format=ndjson&segment=assistant",
        inst.page_id
    ))
    .await;
    let rows: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["segments"] == "assistant"));
    let (_, _, none) = get(format!(
        "page_id={}&format=ndjson&segment=campaigner",
        inst.page_id
    ))
    .await;
    assert_eq!(none, "");
    let (st, _, _) = get(format!("page_id={}&format=xml", inst.page_id)).await;
    assert_eq!(st, 422);
}

#[tokio::test]
async fn reach_refresh_measures_shared_posts_in_batches_and_keeps_snapshots() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let shared: Value = sandbox(
        &app,
        "shares",
        json!({"post_id": format!("{BRAND_PAGE}_555"), "user_id": fan(24), "message": "look"}),
    )
    .await;
    settled(&app).await;
    let share_post = format!("{}_{}", fan(24), shared["share_id"]);
    for f in 25..28 {
        sandbox(
            &app,
            "reactions",
            json!({"post_id": share_post, "user_id": fan(f), "reaction_type": "like"}),
        )
        .await;
    }
    let page = inst.page_id;
    app.query(move |c| {
        diesel::sql_query(format!("INSERT INTO jobs (kind, payload, max_attempts) VALUES ('reach_refresh', '{{\"page_id\": {page}}}', 3)")).execute(c).unwrap()
    })
    .await;
    app.eventually("a snapshot with three reactions", move |c| {
        count(c, &format!("reach_snapshots WHERE object_id = '{share_post}' AND reactions = 3 AND object_kind = 'share_post'")) == 1
    })
    .await;
    settled(&app).await;
    let (_, list) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contacts?page_id={}&sort=reach", inst.page_id),
        None,
    )
    .await;
    let sharer = &list["data"][0];
    assert_eq!(sharer["shares"], 1);
    assert!(sharer["reach"].as_i64().unwrap() >= 3);
}

/// Every text-like column of every Fanfare table (the sandbox's own tables are the
/// fake Facebook's data, not ours).
fn scan(c: &mut PgConnection, needles: &[String]) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Col {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        data_type: String,
    }
    let cols: Vec<Col> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE 'sandbox_%' AND table_name <> '__diesel_schema_migrations' \
         AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea')",
    )
    .load(c)
    .unwrap();
    let mut hits = Vec::new();
    for col in cols {
        for needle in needles {
            let expr = match col.data_type.as_str() {
                "bytea" => format!(
                    "position(convert_to($1, 'UTF8') in \"{}\") > 0",
                    col.column_name
                ),
                "jsonb" | "json" => format!("\"{}\"::text ILIKE '%' || $1 || '%'", col.column_name),
                _ => format!("\"{}\" ILIKE '%' || $1 || '%'", col.column_name),
            };
            #[derive(QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let n = diesel::sql_query(format!(
                "SELECT count(*) AS n FROM \"{}\" WHERE {expr}",
                col.table_name
            ))
            .bind::<diesel::sql_types::Text, _>(needle)
            .get_result::<N>(c)
            .unwrap()
            .n;
            if n > 0 {
                hits.push(format!(
                    "{}.{} contains {needle:?}",
                    col.table_name, col.column_name
                ));
            }
        }
    }
    hits
}

#[tokio::test]
async fn a_deletion_leaves_no_personal_data_in_any_table_but_keeps_anonymous_totals() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true, "form_schema": {"fields": {"name": "optional", "email": "required", "postal_code": "optional"}}})).await;
    let slug = c["slug"].as_str().unwrap().to_string();
    let who = fan(45);
    let b = fan_logged_in(&app, &who, &slug).await;
    let csrf = fan_page(&app, &b, &slug).await;
    let (st, body) = enter(
        &app,
        &b,
        &slug,
        &csrf,
        &[
            ("name", "Zelda Quokka"),
            ("email", "zelda.quokka@example.org"),
            ("postal_code", "94107"),
            ("text", "Zelda secret shirt design"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    assert_eq!(st, 201);
    let entry = entry_id(&body);
    assert_eq!(vote_as(&app, &fan(46), &slug, entry).await.0, 200);
    sandbox(&app, "comments", json!({"post_id": format!("{BRAND_PAGE}_557"), "user_id": who, "message": "quokka comment words"})).await;
    settled(&app).await;
    // Their own data first (data rights).
    let mine: Value = b
        .get(app.url(&format!("/my-data?page={BRAND_PAGE}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["contact"]["email"], "zelda.quokka@example.org");
    assert_eq!(mine["entries"].as_array().unwrap().len(), 1);
    assert!(!mine["timeline"].as_array().unwrap().is_empty());

    let sandbox_name: String = app
        .query({
            let who = who.clone();
            move |c| {
                use fanfare::db::schema::sandbox_users::dsl::*;
                sandbox_users.find(who).select(name).first(c).unwrap()
            }
        })
        .await;
    let needles = vec![
        who.clone(),
        "Zelda".into(),
        "Quokka".into(),
        "zelda.quokka".into(),
        "secret shirt".into(),
        "quokka comment".into(),
        sandbox_name.clone(),
    ];
    assert!(
        !app.query({
            let n = needles.clone();
            move |c| scan(c, &n)
        })
        .await
        .is_empty(),
        "the scan finds the data before deletion"
    );
    let (entries_before, votes_before) = app
        .query(|c| (count(c, "entries"), count(c, "votes")))
        .await;

    let sr = fanfare::platform::facebook::signed_request::sign(
        &json!({"algorithm": "HMAC-SHA256", "issued_at": chrono::Utc::now().timestamp(), "user_id": who}),
        app.app_secret().as_bytes(),
    );
    let r = app
        .client
        .post(app.url("/facebook/data-deletion"))
        .form(&[("signed_request", sr)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.eventually("deletion completed", |c| {
        count(c, "deletion_requests WHERE status = 'completed'") == 1
    })
    .await;
    let hits = app.query(move |c| scan(c, &needles)).await;
    assert!(hits.is_empty(), "personal data left behind: {hits:?}");
    let (entries_after, votes_after) = app
        .query(|c| (count(c, "entries"), count(c, "votes")))
        .await;
    assert_eq!(
        (entries_after, votes_after),
        (entries_before, votes_before),
        "anonymous totals remain"
    );
    let (_, t) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/trends?page_id={}&days=7", inst.page_id),
        None,
    )
    .await;
    assert_eq!(
        t["funnel"]["entries"], 1,
        "aggregates still count the erased entry"
    );
}

#[tokio::test]
async fn another_tenant_cannot_reach_contacts_segments_trends_or_exports() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"form_schema": {"fields": {"email": "required"}}}),
    )
    .await;
    let slug = c["slug"].as_str().unwrap().to_string();
    let b = browser();
    let csrf = fan_page(&app, &b, &slug).await;
    enter(
        &app,
        &b,
        &slug,
        &csrf,
        &[("email", "x@fan.io"), ("text", "x"), ("accept_rules", "on")],
        true,
    )
    .await;
    let (_, list) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contacts?page_id={}", inst.page_id),
        None,
    )
    .await;
    let contact = list["data"][0]["id"].as_i64().unwrap();
    let (_, seg) = api(&app, &inst.token, "POST", "/api/v1/segments", Some(json!({"page_id": inst.page_id, "name": "All entrants", "rule": {"field": "entries", "op": "gte", "value": 1}}))).await;
    let sam = crate::accounts::admin_token(&app, fanfare::platform::sandbox::seed::ADMIN_SAM).await;
    crate::tenancy::assert_no_cross_tenant_access(&app, &sam, "page", inst.page_id).await;
    crate::tenancy::assert_no_cross_tenant_access(&app, &sam, "contact", contact).await;
    crate::tenancy::assert_no_cross_tenant_access(
        &app,
        &sam,
        "segment",
        seg["id"].as_i64().unwrap(),
    )
    .await;
    assert_eq!(
        app.query(|c| count(c, "segments WHERE kind = 'custom'"))
            .await,
        1,
        "nothing was created or deleted"
    );
}

/// Makes one periodic job due now (as if its period had passed) and runs the
/// scheduler tick directly. Waits first for the app worker's start-up tick, so
/// that tick cannot take the due period from under the test.
pub async fn tick_after_due(app: &TestApp, kind: &'static str) -> Vec<&'static str> {
    app.eventually("the start-up scheduler tick", move |c| {
        count(c, &format!("job_schedule WHERE kind = '{kind}'")) == 1
    })
    .await;
    app.query(move |c| {
        diesel::sql_query(format!(
            "UPDATE job_schedule SET last_enqueued_at = 'epoch' WHERE kind = '{kind}'"
        ))
        .execute(c)
        .unwrap()
    })
    .await;
    let w = app.settings.worker.clone();
    app.query(move |c| fanfare::jobs::scheduler::enqueue_due(c, &w).unwrap())
        .await
}

#[tokio::test]
async fn the_scheduler_runs_reach_refresh_and_snapshots_accumulate_over_time() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let shared: Value = sandbox(
        &app,
        "shares",
        json!({"post_id": format!("{BRAND_PAGE}_555"), "user_id": fan(30), "message": "look"}),
    )
    .await;
    settled(&app).await;
    let share_post = format!("{}_{}", fan(30), shared["share_id"]);
    let react = |from: u64, to: u64| {
        let (app, share_post) = (&app, share_post.clone());
        async move {
            for f in from..to {
                sandbox(
                    app,
                    "reactions",
                    json!({"post_id": share_post, "user_id": fan(f), "reaction_type": "like"}),
                )
                .await;
            }
        }
    };
    react(31, 33).await;
    // First period: the scheduler (not the test) enqueues reach_refresh.
    let enqueued = tick_after_due(&app, "reach_refresh").await;
    assert_eq!(
        enqueued,
        vec!["reach_refresh"],
        "only the due job is enqueued"
    );
    let w = app.settings.worker.clone();
    assert!(
        app.query(move |c| fanfare::jobs::scheduler::enqueue_due(c, &w).unwrap())
            .await
            .is_empty(),
        "once per period"
    );
    let post = share_post.clone();
    app.eventually("the first snapshot: two reactions", move |c| {
        count(
            c,
            &format!("reach_snapshots WHERE object_id = '{post}' AND reactions = 2"),
        ) == 1
    })
    .await;
    // The next period, after more reactions: a second snapshot, the first kept.
    react(33, 36).await;
    assert_eq!(
        tick_after_due(&app, "reach_refresh").await,
        vec!["reach_refresh"]
    );
    let post = share_post.clone();
    app.eventually("a second snapshot: five reactions", move |c| {
        count(
            c,
            &format!("reach_snapshots WHERE object_id = '{post}' AND reactions = 5"),
        ) == 1
    })
    .await;
    let post = share_post.clone();
    let (n, distinct_times, reactions) = app
        .query(move |c| {
            #[derive(QueryableByName)]
            struct S {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                t: i64,
                #[diesel(sql_type = diesel::sql_types::Text)]
                r: String,
            }
            let s: S = diesel::sql_query(format!(
                "SELECT count(*) AS n, count(DISTINCT taken_at) AS t, \
                        string_agg(reactions::text, ',' ORDER BY taken_at) AS r \
                 FROM reach_snapshots WHERE object_id = '{post}'"
            ))
            .get_result(c)
            .unwrap();
            (s.n, s.t, s.r)
        })
        .await;
    assert_eq!((n, distinct_times, reactions.as_str()), (2, 2, "2,5"));
    // The reach series in trends follows the latest measurement.
    settled(&app).await;
    let (_, t) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/trends?page_id={}&days=3", inst.page_id),
        None,
    )
    .await;
    let reach = t["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "reach")
        .unwrap()["values"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_i64()
        .unwrap();
    assert!(reach >= 5, "today's reach includes the five reactions: {t}");
}

#[tokio::test]
async fn segment_sizes_are_recorded_daily_and_trends_show_the_movement() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true, "form_schema": {"fields": {"email": "required"}}}),
    )
    .await;
    let slug = c["slug"].as_str().unwrap().to_string();
    // Two participants: entrants with no promotion are assistants.
    for i in 0..2 {
        let b = browser();
        let csrf = fan_page(&app, &b, &slug).await;
        let email = format!("seg{i}@fan.io");
        enter(
            &app,
            &b,
            &slug,
            &csrf,
            &[
                ("email", email.as_str()),
                ("text", "my idea"),
                ("accept_rules", "on"),
            ],
            true,
        )
        .await;
    }
    settled(&app).await;
    let page = inst.page_id;
    // A quiet history: yesterday's and last week's rows are gone (as if nothing had
    // recorded them), and today's row is removed too, so only the job can write it.
    app.query(move |c| {
        diesel::sql_query(format!(
            "DELETE FROM segment_sizes_daily WHERE segment_id IN \
               (SELECT id FROM segments WHERE page_id = {page})"
        ))
        .execute(c)
        .unwrap();
        // Eight days ago the assistants segment was empty.
        diesel::sql_query(format!(
            "INSERT INTO segment_sizes_daily (segment_id, day, size) \
             SELECT id, (now() AT TIME ZONE 'UTC')::date - 8, 0 FROM segments \
             WHERE page_id = {page} AND key = 'assistant'"
        ))
        .execute(c)
        .unwrap();
    })
    .await;
    let enqueued = tick_after_due(&app, "segment_sizes").await;
    assert_eq!(enqueued, vec!["segment_sizes"]);
    app.eventually("today's sizes recorded by the job", move |c| {
        count(
            c,
            &format!(
                "segment_sizes_daily d JOIN segments s ON s.id = d.segment_id \
                 WHERE s.page_id = {page} AND d.day = (now() AT TIME ZONE 'UTC')::date"
            ),
        ) == 3
    })
    .await;
    let (st, t) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/trends?page_id={page}&days=7"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let seg = |key: &str| {
        t["segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("segment {key} in {t}"))
            .clone()
    };
    let assistants = seg("assistant");
    assert_eq!(assistants["size"], 2, "{assistants}");
    assert_eq!(
        assistants["movement_7d"], 2,
        "from 0 a week ago: {assistants}"
    );
    let history = assistants["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{assistants}");
    assert_eq!(history[0][1], 0);
    assert_eq!(history[1][1], 2);
    assert_eq!(seg("campaigner")["size"], 0);
}

/// The first source of a contact.
fn first_source(c: &mut PgConnection, contact: i64) -> String {
    #[derive(QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::Text)]
        s: String,
    }
    diesel::sql_query(format!(
        "SELECT first_source AS s FROM contacts WHERE id = {contact}"
    ))
    .get_result::<S>(c)
    .unwrap()
    .s
}

#[tokio::test]
async fn form_starts_count_once_a_day_and_show_in_the_timeline_and_the_funnel() {
    use crate::engage::{contact_of_entry, enter_as};
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true, "form_schema": {"fields": {"email": "required"}}}),
    )
    .await;
    let (slug, cid) = (
        c["slug"].as_str().unwrap().to_string(),
        c["id"].as_i64().unwrap(),
    );
    let beacon = |b: &reqwest::Client, csrf: &str| {
        b.post(app.url(&format!("/c/{slug}/form-start")))
            .form(&[("csrf_token", csrf)])
            .send()
    };
    let starts = |extra: &'static str| {
        let app = &app;
        async move {
            app.query(move |c| count(c, &format!("activities WHERE kind = 'form_start' {extra}")))
                .await
        }
    };
    // Ana (with JS): focusing the form sends the beacon; repeats count once.
    let ana = browser();
    let csrf = fan_page(&app, &ana, &slug).await;
    assert!(
        ana.get(app.url(&format!("/c/{slug}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains(&format!("data-form-start=\"/c/{slug}/form-start\"")),
        "the entry form names its beacon"
    );
    for _ in 0..3 {
        assert_eq!(beacon(&ana, &csrf).await.unwrap().status(), 204);
    }
    assert_eq!(starts("").await, 1);
    assert_eq!(
        starts("AND contact_id IS NULL").await,
        1,
        "anonymous so far"
    );
    // Without the page's CSRF token nothing is recorded.
    let stranger = browser();
    assert_eq!(beacon(&stranger, "forged").await.unwrap().status(), 403);
    assert_eq!(starts("").await, 1);
    // Ana enters the same day: still one form start, now on her contact.
    let ana_entry = enter_as(&app, &ana, &slug, "ana@fan.io", &[]).await;
    let ana_contact = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    assert_eq!(starts("").await, 1);
    assert_eq!(
        starts("AND contact_id IS NOT NULL AND details->>'via' = 'beacon'").await,
        1
    );
    // Ben (no JS) enters straight away: the entry implies his form start.
    let ben = browser();
    enter_as(&app, &ben, &slug, "ben@fan.io", &[]).await;
    assert_eq!(starts("AND details->>'via' = 'entry'").await, 1);
    // Cleo starts the form and gives up.
    let cleo = browser();
    let csrf = fan_page(&app, &cleo, &slug).await;
    assert_eq!(beacon(&cleo, &csrf).await.unwrap().status(), 204);
    assert_eq!(starts("").await, 3);

    // The contact timeline shows it.
    settled(&app).await;
    let (st, contact) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contacts/{ana_contact}"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{contact}");
    let kinds: Vec<&str> = contact["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"form_start"), "{kinds:?}");
    assert!(
        kinds.contains(&"page_view") && kinds.contains(&"entry"),
        "{kinds:?}"
    );
    // The funnel: three views, three form starts, two entries.
    let (_, t) = api(
        &app,
        &inst.token,
        "GET",
        &format!(
            "/api/v1/trends?page_id={}&contest_id={cid}&days=7",
            inst.page_id
        ),
        None,
    )
    .await;
    assert_eq!(
        (
            t["funnel"]["views"].as_i64(),
            t["funnel"]["form_starts"].as_i64(),
            t["funnel"]["entries"].as_i64()
        ),
        (Some(3), Some(3), Some(2)),
        "{}",
        t["funnel"]
    );
}

#[tokio::test]
async fn fans_arriving_through_a_referral_link_are_referral_contacts() {
    use crate::engage::{click, code_of, contact_of_entry, enter_as, entrant};
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let slug = c["slug"].as_str().unwrap().to_string();
    let (_, ana_entry) = entrant(&app, &slug, "ana@fan.io", &[]).await;
    let ana = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    assert_eq!(app.query(move |c| first_source(c, ana)).await, "fan_page");
    let code = app.query(move |c| code_of(c, ana)).await;

    // Through the form.
    let ben_browser = browser();
    click(&app, &ben_browser, &code).await;
    let ben_entry = enter_as(&app, &ben_browser, &slug, "ben@fan.io", &[]).await;
    let ben = app.query(move |c| contact_of_entry(c, ben_entry)).await;
    assert_eq!(app.query(move |c| first_source(c, ben)).await, "referral");

    // Through a Facebook login after the click: the login creates the contact.
    let cleo_id = fan(12);
    let cleo_browser = browser();
    click(&app, &cleo_browser, &code).await;
    let callback = crate::accounts::through_dialog(
        &app,
        &cleo_browser,
        &format!("/auth/fan/login?page={BRAND_PAGE}&return_to=/c/{slug}"),
        &cleo_id,
    )
    .await;
    assert_eq!(
        cleo_browser.get(callback).send().await.unwrap().status(),
        302
    );
    let cleo = app
        .query(move |c| {
            crate::engage::scalar(
                c,
                &format!(
                    "SELECT contact_id AS n FROM contact_identities WHERE kind = 'asid' AND value = '{cleo_id}'"
                ),
            )
        })
        .await;
    assert_eq!(app.query(move |c| first_source(c, cleo)).await, "referral");

    // A fan already known keeps the first source they had.
    let dora_browser = browser();
    let dora_entry = enter_as(&app, &dora_browser, &slug, "dora@fan.io", &[]).await;
    let dora = app.query(move |c| contact_of_entry(c, dora_entry)).await;
    click(&app, &dora_browser, &code).await;
    let cid = c["id"].as_i64().unwrap();
    let (st, _) = api(
        &app,
        &inst.token,
        "PATCH",
        &format!("/api/v1/contests/{cid}"),
        Some(json!({"entry_limit": "daily"})),
    )
    .await;
    assert_eq!(st, 200);
    app.query(move |c| {
        diesel::sql_query(format!(
            "UPDATE entries SET entry_period = '2020-01-01' WHERE contact_id = {dora}"
        ))
        .execute(c)
        .unwrap()
    })
    .await;
    let again = enter_as(&app, &dora_browser, &slug, "dora@fan.io", &[]).await;
    assert_eq!(app.query(move |c| contact_of_entry(c, again)).await, dora);
    assert_eq!(app.query(move |c| first_source(c, dora)).await, "fan_page");
    // Without a referral: a login is a login.
    let eve_id = fan(13);
    let eve_browser = browser();
    let callback = crate::accounts::through_dialog(
        &app,
        &eve_browser,
        &format!("/auth/fan/login?page={BRAND_PAGE}&return_to=/c/{slug}"),
        &eve_id,
    )
    .await;
    assert_eq!(
        eve_browser.get(callback).send().await.unwrap().status(),
        302
    );
    let eve = app
        .query(move |c| {
            crate::engage::scalar(
                c,
                &format!(
                    "SELECT contact_id AS n FROM contact_identities WHERE kind = 'asid' AND value = '{eve_id}'"
                ),
            )
        })
        .await;
    assert_eq!(app.query(move |c| first_source(c, eve)).await, "login");
}

/// One delivery with several changes on the brand page, in order.
fn delivery(changes: &[Value]) -> Vec<u8> {
    json!({"object": "page", "entry": [{"id": BRAND_PAGE, "time": 1733300000, "changes": changes}]})
        .to_string()
        .into_bytes()
}

fn comment(
    verb: &str,
    id: &str,
    parent: Option<&str>,
    from: (&str, Option<&str>),
    msg: Option<&str>,
) -> Value {
    let post = format!("{BRAND_PAGE}_555");
    let mut from_v = json!({"id": from.0});
    if let Some(n) = from.1 {
        from_v["name"] = json!(n);
    }
    let mut v = json!({"item": "comment", "verb": verb, "comment_id": id, "post_id": post,
        "parent_id": parent.map(str::to_string).unwrap_or(post.clone()), "from": from_v, "created_time": 1733299990});
    if let Some(m) = msg {
        v["message"] = json!(m);
    }
    json!({"field": "feed", "value": v})
}

fn reaction(verb: &str, from: &str, name: &str) -> Value {
    json!({"field": "feed", "value": {"item": "reaction", "verb": verb, "reaction_type": "love",
        "post_id": format!("{BRAND_PAGE}_555"), "parent_id": format!("{BRAND_PAGE}_555"),
        "from": {"id": from, "name": name}, "created_time": 1733299992}})
}

/// The batch path of event processing (many `process_event` jobs in one
/// `run_batch`: senders resolved together, activities in one insert) has exactly
/// the effects of the single path (one job at a time), including comment edits
/// and removals that follow their comment within the same batch, repeated
/// senders whose name changes, replies, reactions removed, and replays.
#[tokio::test]
async fn batch_event_processing_has_the_effects_of_one_event_at_a_time() {
    let deliveries: Vec<Vec<u8>> = vec![
        delivery(&[
            comment(
                "add",
                "555_1",
                None,
                ("7001", Some("Ana Lima")),
                Some("Love this, amazing!"),
            ),
            comment(
                "add",
                "555_2",
                None,
                ("7002", None),
                Some("Terrible, very disappointed"),
            ),
            reaction("add", "7003", "Cy Diaz"),
            comment(
                "add",
                "555_3",
                Some("555_1"),
                ("7003", Some("Cy Diaz")),
                Some("reply"),
            ),
            comment(
                "edited",
                "555_1",
                None,
                ("7001", Some("Ana Lima")),
                Some("Love this, edited"),
            ),
        ]),
        delivery(&[
            reaction("add", "7001", "Ana L."),
            comment(
                "add",
                "555_4",
                None,
                ("7002", Some("Bo Berg")),
                Some("second comment"),
            ),
            comment("remove", "555_2", None, ("7002", Some("Bo Berg")), None),
            reaction("remove", "7003", "Cy Diaz"),
            // A re-delivered comment is one activity.
            comment(
                "add",
                "555_4",
                None,
                ("7002", Some("Bo Berg")),
                Some("second comment"),
            ),
            comment(
                "add",
                "555_5",
                None,
                ("7004", Some("Di")),
                Some("Count me in"),
            ),
        ]),
    ];
    let fixtures = [
        "feed-comment-add",
        "feed-reaction-add",
        "feed-share-add",
        "feed-status-add",
        "mention-post-add",
        "ratings-rating-add",
        "two-entries",
        "feed-comment-edited",
        "feed-comment-remove",
    ];
    let mut dumps = Vec::new();
    for batch in [1i64, 500] {
        let app = crate::helpers::spawn_app_with(
            crate::helpers::Spawn {
                workers: false,
                proxy: false,
            },
            |_| {},
        )
        .await;
        let inst = installed(&app).await;
        let (_, c) = api(
            &app,
            &inst.token,
            "POST",
            "/api/v1/contests",
            Some(json!({
                "page_id": inst.page_id, "kind": "comment_to_enter", "title": "Comment to win",
                "rules_text": "Comment to enter.", "linked_post_id": format!("{BRAND_PAGE}_555"), "auto_approve": true
            })),
        )
        .await;
        api(
            &app,
            &inst.token,
            "POST",
            &format!("/api/v1/contests/{}/transition", c["id"]),
            Some(json!({"to": "open"})),
        )
        .await;
        for body in &deliveries {
            assert_eq!(crate::webhooks::post_signed(&app, body).await.status(), 200);
        }
        for name in fixtures {
            let body = std::fs::read(format!(
                "{}/tests/fixtures/facebook/webhooks/{name}.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            assert_eq!(
                crate::webhooks::post_signed(&app, &body).await.status(),
                200
            );
        }
        drain(&app, batch).await;
        let first = app.query(dump).await;
        assert!(first.len() > 20, "{first:?}");
        assert_eq!(
            app.query(|c| count(c, "webhook_events WHERE processed_at IS NULL"))
                .await,
            0
        );
        // A replay through the same path, in the same event order, changes
        // nothing. (In event order: the display name is "last processed wins",
        // so a replay in another order could legitimately end on another name.)
        app.query(|c| {
            diesel::sql_query("UPDATE webhook_events SET processed_at = NULL").execute(c).unwrap();
            diesel::sql_query(
                "INSERT INTO jobs (kind, payload, max_attempts) SELECT 'process_event', jsonb_build_object('event_id', id), 5 FROM webhook_events ORDER BY id",
            )
            .execute(c)
            .unwrap();
        })
        .await;
        drain(&app, batch).await;
        assert_eq!(app.query(dump).await, first, "replay with batch {batch}");
        // Rebuilding the rollups from the timeline (chunked by contact) gives the
        // same metrics and daily stats as the triggers did event by event.
        let page_id = inst.page_id;
        app.query(move |c| fanfare::db::metrics::rebuild(c, page_id).unwrap())
            .await;
        assert_eq!(app.query(dump).await, first, "rebuild after batch {batch}");
        dumps.push(first);
    }
    assert_eq!(dumps[0], dumps[1], "batch and single paths differ");
}

/// Segment sizes come from `segments.member_count`, kept by statement triggers on
/// `segment_memberships` (issue 10, P4): it must equal the real count after a
/// recompute adds and removes members, and after a cascaded delete.
#[tokio::test]
async fn segment_sizes_rollup_follows_every_membership_change() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let page = inst.page_id;
    // Ten contacts, shares 0..9, straight into the CRM tables.
    app.query(move |c| {
        diesel::sql_query(format!(
            "WITH n AS (INSERT INTO contacts (page_id, display_name, first_source) \
               SELECT {page}, 'Rollup ' || g, 'webhook' FROM generate_series(0, 9) g RETURNING id, display_name) \
             INSERT INTO contact_metrics (contact_id, page_id, shares) \
             SELECT id, {page}, split_part(display_name, ' ', 2)::int FROM n"
        ))
        .execute(c)
        .unwrap();
    })
    .await;
    let (st, seg) = api(&app, &inst.token, "POST", "/api/v1/segments", Some(json!({"page_id": page, "name": "Sharers", "rule": {"field": "shares", "op": "gte", "value": 5}}))).await;
    assert_eq!(st, 201, "{seg}");
    let key = seg["key"].as_str().unwrap().to_string();
    let recompute = || {
        api(
            &app,
            &inst.token,
            "POST",
            "/api/v1/segments/recompute",
            Some(json!({"page_id": page})),
        )
    };
    assert_eq!(recompute().await.0, 200);
    assert_eq!(rollup_sizes(&app, &inst.token, page, &key).await, (5, 5));
    // Two leave (shares drop), one joins: the rollup follows both directions.
    app.query(move |c| {
        diesel::sql_query(format!(
            "UPDATE contact_metrics SET shares = CASE WHEN shares IN (8, 9) THEN 0 WHEN shares = 1 THEN 7 ELSE shares END WHERE page_id = {page}"
        ))
        .execute(c)
        .unwrap();
    })
    .await;
    assert_eq!(recompute().await.0, 200);
    assert_eq!(rollup_sizes(&app, &inst.token, page, &key).await, (4, 4));
    // A member's contact row deleted: the memberships go by cascade, and the size too.
    app.query(move |c| {
        diesel::sql_query(format!(
            "DELETE FROM contacts WHERE id = (SELECT contact_id FROM contact_metrics WHERE page_id = {page} AND shares = 7 ORDER BY contact_id LIMIT 1)"
        ))
        .execute(c)
        .unwrap();
    })
    .await;
    assert_eq!(rollup_sizes(&app, &inst.token, page, &key).await, (3, 3));
    let all_match = app
        .query(|c| count(c, "segments s WHERE s.member_count <> (SELECT count(*) FROM segment_memberships sm WHERE sm.segment_id = s.id)"))
        .await;
    assert_eq!(
        all_match, 0,
        "every segment's member_count equals its memberships"
    );
}

/// (size shown by `GET /api/v1/segments`, memberships counted) of segment `key`.
async fn rollup_sizes(app: &TestApp, token: &str, page: i64, key: &str) -> (i64, i64) {
    let (_, segs) = api(
        app,
        token,
        "GET",
        &format!("/api/v1/segments?page_id={page}"),
        None,
    )
    .await;
    let api_size = segs["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap()["size"]
        .as_i64()
        .unwrap();
    let sql = format!("segment_memberships sm JOIN segments s ON s.id = sm.segment_id WHERE s.page_id = {page} AND s.key = '{key}'");
    let counted = app.query(move |c| count(c, &sql)).await;
    (api_size, counted)
}

/// Contacts inserted straight into `contacts` (no activity, so before issue 10 P4
/// no metrics row); returns their ids in insertion order.
async fn bare_contacts(app: &TestApp, page: i64, rows: &[(&str, Option<&str>)]) -> Vec<i64> {
    let mut ids = Vec::new();
    for (name, email) in rows {
        let (name, email) = (name.to_string(), email.map(str::to_string));
        ids.push(
            app.query(move |c| {
                #[derive(QueryableByName)]
                struct Id {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    id: i64,
                }
                diesel::sql_query(
                    "INSERT INTO contacts (page_id, display_name, email, first_source) \
                     VALUES ($1, $2, $3, 'webhook') RETURNING id",
                )
                .bind::<diesel::sql_types::BigInt, _>(page)
                .bind::<diesel::sql_types::Text, _>(name)
                .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(email)
                .get_result::<Id>(c)
                .unwrap()
                .id
            })
            .await,
        );
    }
    ids
}

async fn exec(app: &TestApp, sql: String) {
    app.query(move |c| diesel::sql_query(sql).execute(c).unwrap())
        .await;
}

/// The contacts list's advocacy and reach orders walk indexes on
/// `contact_metrics` (issue 10, P4), which needs a metrics row for every contact:
/// a contact with no activity must still be listed, with zeros, in its place by
/// the same order as before (value descending, ties by id), and the reach order
/// must follow a change of the contact's friends count.
#[tokio::test]
async fn contacts_without_activity_are_listed_with_zeros_in_advocacy_and_reach_order() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let page = inst.page_id;
    let ids = bare_contacts(
        &app,
        page,
        &[
            ("Ordr Idle A", None),
            ("Ordr Advocate", None),
            ("Ordr Voted", None),
            ("Ordr Idle B", None),
        ],
    )
    .await;
    let (idle_a, advocate, voted, idle_b) = (ids[0], ids[1], ids[2], ids[3]);
    let missing = app
        .query(|c| {
            count(
                c,
                "contacts c WHERE NOT EXISTS (SELECT 1 FROM contact_metrics m WHERE m.contact_id = c.id)",
            )
        })
        .await;
    assert_eq!(missing, 0, "every contact has its metrics row");
    // Advocacy 5 (one referral conversion) and 1 (two votes received).
    exec(
        &app,
        format!(
            "UPDATE contact_metrics SET referral_conversions = 1 WHERE contact_id = {advocate}"
        ),
    )
    .await;
    exec(
        &app,
        format!("UPDATE contact_metrics SET votes_received = 2 WHERE contact_id = {voted}"),
    )
    .await;
    let list = |sort: &'static str| {
        let (app, token) = (&app, inst.token.clone());
        async move {
            let (st, list) = api(
                app,
                &token,
                "GET",
                &format!("/api/v1/contacts?page_id={page}&q=ordr&sort={sort}"),
                None,
            )
            .await;
            assert_eq!(st, 200, "{list}");
            list["data"].as_array().unwrap().clone()
        }
    };
    let order = |rows: &[Value]| {
        rows.iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let by_advocacy = list("advocacy").await;
    assert_eq!(order(&by_advocacy), vec![advocate, voted, idle_a, idle_b]);
    let idle = &by_advocacy[2];
    for field in [
        "entries",
        "comments",
        "reactions",
        "shares",
        "page_views",
        "points",
        "reach",
    ] {
        assert_eq!(idle[field], 0, "{field} of a contact with no activity");
    }
    assert_eq!(idle["advocacy"], 0.0);
    assert_eq!(idle["marketing_opt_in"], false);
    assert_eq!(idle["sentiment"], Value::Null);
    // Reach: all zero, so by id; then friends counts (through the contacts row,
    // as a login records them) and engagement on shared posts reorder it.
    assert_eq!(
        order(&list("reach").await),
        vec![idle_a, advocate, voted, idle_b]
    );
    exec(
        &app,
        format!("UPDATE contacts SET friends_count = 100 WHERE id = {idle_b}"),
    )
    .await;
    exec(
        &app,
        format!("UPDATE contact_metrics SET share_engagement = 40 WHERE contact_id = {voted}"),
    )
    .await;
    let by_reach = list("reach").await;
    assert_eq!(order(&by_reach), vec![idle_b, voted, idle_a, advocate]);
    assert_eq!(by_reach[0]["reach"], 100);
    exec(
        &app,
        format!("UPDATE contacts SET friends_count = 20 WHERE id = {idle_b}"),
    )
    .await;
    exec(
        &app,
        format!("UPDATE contacts SET friends_count = 41 WHERE id = {idle_a}"),
    )
    .await;
    assert_eq!(
        order(&list("reach").await),
        vec![idle_a, voted, idle_b, advocate]
    );
    // The default order lists them all too, and an erased contact is hidden in
    // every order. A segment the page does not have has no members.
    assert_eq!(list("recent").await.len(), 4);
    let (st, none) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contacts?page_id={page}&segment=no-such-segment&sort=advocacy"),
        None,
    )
    .await;
    assert_eq!((st, none["data"].as_array().unwrap().len()), (200, 0));
    exec(
        &app,
        format!("UPDATE contacts SET erased_at = now() WHERE id = {voted}"),
    )
    .await;
    assert_eq!(
        order(&list("advocacy").await),
        vec![advocate, idle_a, idle_b]
    );
    assert_eq!(order(&list("reach").await), vec![idle_a, idle_b, advocate]);
    // Rebuilding the rollups from the timeline keeps the rows of contacts with no
    // activity and their copied friends counts.
    app.query(move |c| fanfare::db::metrics::rebuild(c, page).unwrap())
        .await;
    let (rows, friends) = app
        .query(move |c| {
            (
                count(c, "contacts c WHERE NOT EXISTS (SELECT 1 FROM contact_metrics m WHERE m.contact_id = c.id)"),
                count(c, &format!("contact_metrics WHERE contact_id = {idle_a} AND friends_count = 41 AND reach = 41")),
            )
        })
        .await;
    assert_eq!((rows, friends), (0, 1));
}

/// Search goes through trigram indexes now (issue 10, P4); it must still match a
/// substring of the name or of the email, in any case, and nothing else.
#[tokio::test]
async fn contact_search_matches_name_and_email_substrings() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let page = inst.page_id;
    let ids = bare_contacts(
        &app,
        page,
        &[
            ("Quinta Marlowe", None),
            ("Someone Else", Some("zed.harbour@example.org")),
            ("Percent 100% Fan", None),
        ],
    )
    .await;
    let search = |q: &'static str| {
        let (app, token) = (&app, inst.token.clone());
        async move {
            let (st, list) = api(
                app,
                &token,
                "GET",
                &format!("/api/v1/contacts?page_id={page}&q={}", urlencoding(q)),
                None,
            )
            .await;
            assert_eq!(st, 200, "{list}");
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("arlo").await, vec![ids[0]]);
    assert_eq!(search("QUINTA m").await, vec![ids[0]]);
    assert_eq!(search("harbour@EXAM").await, vec![ids[1]]);
    assert_eq!(search("0% f").await, vec![ids[2]], "% is a literal");
    assert_eq!(search("zz").await, Vec::<i64>::new());
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The export row count for a segment comes from the `member_count` rollup
/// (issue 10, P4); it must still count only members that are not erased (erasure
/// keeps memberships until the next refresh), like counting the rows did.
#[tokio::test]
async fn export_count_for_a_segment_leaves_out_erased_members() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let page = inst.page_id;
    let names: Vec<(String, Option<&str>)> = (0..8).map(|i| (format!("Exp {i}"), None)).collect();
    let rows: Vec<(&str, Option<&str>)> = names.iter().map(|(n, e)| (n.as_str(), *e)).collect();
    let ids = bare_contacts(&app, page, &rows).await;
    let sharers = ids[..5]
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    exec(
        &app,
        format!("UPDATE contact_metrics SET shares = 3 WHERE contact_id IN ({sharers})"),
    )
    .await;
    let (st, seg) = api(&app, &inst.token, "POST", "/api/v1/segments", Some(json!({"page_id": page, "name": "Export sharers", "rule": {"field": "shares", "op": "gte", "value": 3}}))).await;
    assert_eq!(st, 201, "{seg}");
    let key = seg["key"].as_str().unwrap().to_string();
    // The count as it was computed before the rollup, as the reference.
    let counts = |key: String| {
        app.query(move |c| {
            let reference = count(
                c,
                &format!(
                    "contacts c WHERE c.page_id = {page} AND c.erased_at IS NULL AND EXISTS (SELECT 1 FROM segment_memberships sm \
                     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id AND s.key = '{key}' AND s.page_id = c.page_id)"
                ),
            );
            let all = count(c, &format!("contacts WHERE page_id = {page} AND erased_at IS NULL"));
            (
                fanfare::db::crm::count_for_export(c, page, Some(&key)).unwrap(),
                reference,
                fanfare::db::crm::count_for_export(c, page, None).unwrap(),
                all,
            )
        })
    };
    let (n, reference, n_all, all) = counts(key.clone()).await;
    assert_eq!((n, n_all), (reference, all));
    assert_eq!(n, 5);
    exec(
        &app,
        format!(
            "UPDATE contacts SET erased_at = now() WHERE id IN ({}, {})",
            ids[0], ids[6]
        ),
    )
    .await;
    let (n, reference, n_all, all) = counts(key.clone()).await;
    assert_eq!((n, n_all), (reference, all));
    assert_eq!(
        n, 4,
        "the erased member is not counted, the erased non-member changes nothing"
    );
    let (n, reference, _, _) = counts("no-such-segment".into()).await;
    assert_eq!((n, reference), (0, 0));
}

/// The periodic reach refresh for every page only queues one job per page with a
/// token, so each page's Graph requests and snapshot writes commit on their own
/// and a slow page cannot keep another page's contact rows locked.
#[tokio::test]
async fn the_all_pages_reach_refresh_queues_one_job_per_page() {
    use fanfare::jobs::run_once;
    let app = crate::helpers::spawn_app_with(
        crate::helpers::Spawn {
            workers: false,
            proxy: false,
        },
        |_| {},
    )
    .await;
    let inst = installed(&app).await;
    app.query(|c| {
        diesel::sql_query("DELETE FROM jobs").execute(c).unwrap();
        diesel::sql_query(
            "INSERT INTO jobs (kind, payload, max_attempts) VALUES ('reach_refresh', '{}', 4)",
        )
        .execute(c)
        .unwrap()
    })
    .await;
    let (registry, ctx) = crate::helpers::job_runner(&app);
    let url = app.db.url.clone();
    let report = tokio::task::spawn_blocking(move || {
        let mut c = PgConnection::establish(&url).unwrap();
        run_once(&registry, &ctx, &mut c, 1).unwrap()
    })
    .await
    .unwrap();
    assert_eq!((report.claimed, report.failed), (1, 0), "{report:?}");
    let (queued, with_token): (Vec<(String, i32)>, i64) = app
        .query(|c| {
            #[derive(QueryableByName)]
            struct J {
                #[diesel(sql_type = diesel::sql_types::Text)]
                payload: String,
                #[diesel(sql_type = diesel::sql_types::Integer)]
                max_attempts: i32,
            }
            let jobs: Vec<J> = diesel::sql_query(
                "SELECT payload::text AS payload, max_attempts FROM jobs \
                 WHERE kind = 'reach_refresh' AND state = 'queued' ORDER BY id",
            )
            .load(c)
            .unwrap();
            (
                jobs.into_iter()
                    .map(|j| (j.payload, j.max_attempts))
                    .collect(),
                count(c, "pages WHERE page_token_enc IS NOT NULL"),
            )
        })
        .await;
    assert!(with_token >= 1);
    assert_eq!(queued.len() as i64, with_token, "{queued:?}");
    assert!(
        queued.contains(&(format!("{{\"page_id\": {}}}", inst.page_id), 4)),
        "{queued:?}"
    );
    assert_eq!(
        app.query(|c| count(c, "reach_snapshots")).await,
        0,
        "nothing is measured by the all-pages job itself"
    );
}
