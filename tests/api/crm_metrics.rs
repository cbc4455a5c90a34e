//! CRM metrics end to end: per-contest reach from post fields and insights,
//! advocacy as documented, the trends series and funnel steps, the `export` and
//! `segments recompute` commands, persona thresholds from config, and poll-only
//! participants.

use diesel::prelude::*;
use fanfare::platform::sandbox::seed::BRAND_PAGE;
use serde_json::{json, Value};

use crate::accounts::browser;
use crate::crm::{fan, sandbox, settled, tick_after_due};
use crate::engage::{click, code_of, contact_of_entry, enter_as, entrant, scalar};
use crate::helpers::{count, TestApp};
use crate::support::{
    api, enter, entry_id, fan_logged_in, fan_page, installed, open_contest, vote_as,
};

fn series_sum(t: &Value, name: &str) -> i64 {
    t["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("series {name} in {t}"))["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .sum()
}

async fn trends(app: &TestApp, token: &str, query: &str) -> Value {
    let (st, t) = api(app, token, "GET", &format!("/api/v1/trends?{query}"), None).await;
    assert_eq!(st, 200, "{t}");
    t
}

#[tokio::test]
async fn contest_reach_comes_from_the_linked_post_fields_and_insights() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let post = format!("{BRAND_PAGE}_555");
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true, "linked_post_id": post}),
    )
    .await;
    let cid = c["id"].as_i64().unwrap();
    for f in 40..43 {
        sandbox(
            &app,
            "reactions",
            json!({"post_id": post, "user_id": fan(f), "reaction_type": "love"}),
        )
        .await;
    }
    settled(&app).await;
    assert_eq!(
        tick_after_due(&app, "reach_refresh").await,
        vec!["reach_refresh"]
    );
    app.eventually("a contest post snapshot", move |c| {
        count(
            c,
            &format!("reach_snapshots WHERE object_kind = 'contest_post' AND contest_id = {cid} AND error IS NULL"),
        ) == 1
    })
    .await;
    // What the sandbox platform holds for that post, read independently.
    let p = post.clone();
    let (expected, got) = app
        .query(move |c| {
            let expected = [
                scalar(c, &format!("SELECT count(*) AS n FROM sandbox_reactions WHERE post_id = '{p}'")),
                scalar(c, &format!("SELECT count(*) AS n FROM sandbox_comments WHERE post_id = '{p}'")),
                scalar(c, &format!("SELECT shares_count::bigint AS n FROM sandbox_posts WHERE id = '{p}'")),
                scalar(c, &format!("SELECT (impressions * 7 / 10)::bigint AS n FROM sandbox_posts WHERE id = '{p}'")),
            ];
            let got = [
                scalar(c, &format!("SELECT reactions::bigint AS n FROM reach_snapshots WHERE contest_id = {cid}")),
                scalar(c, &format!("SELECT comments::bigint AS n FROM reach_snapshots WHERE contest_id = {cid}")),
                scalar(c, &format!("SELECT shares::bigint AS n FROM reach_snapshots WHERE contest_id = {cid}")),
                scalar(c, &format!("SELECT impressions::bigint AS n FROM reach_snapshots WHERE contest_id = {cid}")),
            ];
            (expected, got)
        })
        .await;
    assert!(expected[0] >= 3, "the three reactions reached the sandbox");
    assert!(expected[3] > 0, "the seeded post has impressions");
    assert_eq!(
        got, expected,
        "reactions, comments, shares from the post fields; unique impressions from insights"
    );
    // The contest's trends show it as reach today.
    let t = trends(
        &app,
        &inst.token,
        &format!("page_id={}&contest_id={cid}&days=2", inst.page_id),
    )
    .await;
    assert!(series_sum(&t, "reach") > 0, "{t}");
}

#[tokio::test]
async fn advocacy_in_postgres_follows_the_documented_formula() {
    use fanfare::domain::advocacy::{advocacy, AdvocacyInputs};
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let slug = c["slug"].as_str().unwrap().to_string();
    // Ana: a positive entry, two referral clicks (one converts), two votes received.
    let (_, ana_entry) = {
        let b = browser();
        let csrf = fan_page(&app, &b, &slug).await;
        let (st, body) = enter(
            &app,
            &b,
            &slug,
            &csrf,
            &[
                ("email", "ana@fan.io"),
                ("text", "I love this wonderful, happy design!"),
                ("accept_rules", "on"),
            ],
            true,
        )
        .await;
        assert_eq!(st, 201, "{body}");
        (b, entry_id(&body))
    };
    let ana = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    let code = app.query(move |c| code_of(c, ana)).await;
    let ben = browser();
    click(&app, &ben, &code).await;
    enter_as(&app, &ben, &slug, "ben@fan.io", &[]).await;
    click(&app, &browser(), &code).await;
    for v in 30..32 {
        assert_eq!(vote_as(&app, &fan(v), &slug, ana_entry).await.0, 200);
    }
    // Cleo: a negative entry and nothing else.
    let cleo = browser();
    let csrf = fan_page(&app, &cleo, &slug).await;
    let (_, body) = enter(
        &app,
        &cleo,
        &slug,
        &csrf,
        &[
            ("email", "cleo@fan.io"),
            ("text", "Terrible, ugly and boring."),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    let cleo = app
        .query(move |c| contact_of_entry(c, entry_id(&body)))
        .await;
    settled(&app).await;

    #[derive(QueryableByName)]
    struct M {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        referral_conversions: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        referral_clicks: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        votes_received: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        positive_mentions: i32,
        #[diesel(sql_type = diesel::sql_types::Double)]
        ugc_sentiment_sum: f64,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        ugc_sentiment_count: i32,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        advocacy: Option<f64>,
    }
    let metrics = |id: i64| {
        let app = &app;
        async move {
            app.query(move |c| {
                diesel::sql_query(format!(
                    "SELECT referral_conversions, referral_clicks, votes_received, positive_mentions, \
                     ugc_sentiment_sum, ugc_sentiment_count, advocacy FROM contact_metrics WHERE contact_id = {id}"
                ))
                .get_result::<M>(c)
                .unwrap()
            })
            .await
        }
    };
    let m = metrics(ana).await;
    assert_eq!(
        (m.referral_conversions, m.referral_clicks, m.votes_received),
        (1, 2, 2),
        "the constructed activity"
    );
    let mean =
        (m.ugc_sentiment_count > 0).then(|| m.ugc_sentiment_sum / f64::from(m.ugc_sentiment_count));
    assert!(mean.unwrap() > 0.5, "a clearly positive entry");
    let expected = advocacy(&AdvocacyInputs {
        referral_conversions: 1.0,
        referral_clicks: 2.0,
        votes_received: 2.0,
        positive_mentions: f64::from(m.positive_mentions),
        ugc_sentiment_mean: mean,
    });
    // 5 + 0.4 + 1 + 3 × mean: between 6.4 and 9.4.
    assert!((6.4..=9.4).contains(&expected), "{expected}");
    let got = m.advocacy.unwrap();
    assert!(
        (got - expected).abs() < 1e-9,
        "SQL {got} vs documented {expected}"
    );
    // Negative UGC adds nothing (the sentiment part is floored at 0).
    let m = metrics(cleo).await;
    assert!(m.ugc_sentiment_sum < 0.0);
    assert_eq!(m.advocacy, Some(0.0));
    // The contacts API reports the same score.
    let (_, contact) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contacts/{ana}"),
        None,
    )
    .await;
    let api_score = contact["contact"]["advocacy"]
        .as_f64()
        .unwrap_or_else(|| panic!("advocacy in {contact}"));
    assert!((api_score - expected).abs() < 1e-9);
}

#[tokio::test]
async fn trends_count_referrals_comments_and_reach_and_the_funnel_referral_steps() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let (slug, cid) = (
        c["slug"].as_str().unwrap().to_string(),
        c["id"].as_i64().unwrap(),
    );
    let (_, ana_entry) = entrant(&app, &slug, "ana@fan.io", &[]).await;
    let ana = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    let code = app.query(move |c| code_of(c, ana)).await;
    // Three visitors click Ana's link; two of them enter.
    for (i, enters) in [true, true, false].into_iter().enumerate() {
        let b = browser();
        click(&app, &b, &code).await;
        if enters {
            enter_as(&app, &b, &slug, &format!("friend{i}@fan.io"), &[]).await;
        }
    }
    // Two comments on the page's post; one share whose post gets reactions.
    for f in 20..22 {
        sandbox(
            &app,
            "comments",
            json!({"post_id": format!("{BRAND_PAGE}_557"), "user_id": fan(f), "message": "so good"}),
        )
        .await;
    }
    let shared = sandbox(
        &app,
        "shares",
        json!({"post_id": format!("{BRAND_PAGE}_557"), "user_id": fan(22)}),
    )
    .await;
    let share_post = format!("{}_{}", fan(22), shared["share_id"]);
    for f in 23..27 {
        sandbox(
            &app,
            "reactions",
            json!({"post_id": share_post, "user_id": fan(f), "reaction_type": "like"}),
        )
        .await;
    }
    settled(&app).await;
    tick_after_due(&app, "reach_refresh").await;
    let p = share_post.clone();
    app.eventually("the share post measured", move |c| {
        count(
            c,
            &format!("reach_snapshots WHERE object_id = '{p}' AND reactions = 4"),
        ) == 1
    })
    .await;
    settled(&app).await;

    let contest = trends(
        &app,
        &inst.token,
        &format!("page_id={}&contest_id={cid}&days=7", inst.page_id),
    )
    .await;
    assert_eq!(series_sum(&contest, "referrals"), 3, "three unique clicks");
    assert_eq!(series_sum(&contest, "entries"), 3);
    let f = &contest["funnel"];
    assert_eq!(
        (
            f["entries"].as_i64(),
            f["referral_clicks"].as_i64(),
            f["referred_entries"].as_i64()
        ),
        (Some(3), Some(3), Some(2)),
        "{f}"
    );
    let page = trends(
        &app,
        &inst.token,
        &format!("page_id={}&days=7", inst.page_id),
    )
    .await;
    assert_eq!(series_sum(&page, "comments"), 2, "{page}");
    let reach = page["series"]
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
    assert!(
        reach >= 4,
        "today's reach includes the share's four reactions: {page}"
    );
}

fn fanfare_cli(db_url: &str) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_fanfare"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FANFARE_ENV")
        .env("DATABASE_URL", db_url)
        .env("FANFARE__LOG__LEVEL", "warn");
    c
}

#[tokio::test]
async fn export_and_segments_recompute_commands_follow_the_data_and_persona_settings() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let slug = c["slug"].as_str().unwrap().to_string();
    // Ana enters and gets one vote; Ben enters quietly; Cleo only looks.
    let (_, ana_entry) = entrant(&app, &slug, "ana@fan.io", &[]).await;
    entrant(&app, &slug, "ben@fan.io", &[]).await;
    assert_eq!(vote_as(&app, &fan(5), &slug, ana_entry).await.0, 200);
    fan_page(&app, &browser(), &slug).await;
    settled(&app).await;
    let ana = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    let page_id = inst.page_id;
    let contacts = app
        .query(move |c| {
            count(
                c,
                &format!("contacts WHERE erased_at IS NULL AND page_id = {page_id}"),
            )
        })
        .await;
    assert_eq!(contacts, 3, "Ana, Ben and the voter");

    // `fanfare export`: a header and one row per contact, to a file.
    let out_file = std::env::temp_dir().join(format!("fanfare-export-{}.csv", app.db.name));
    let url = app.db.url.clone();
    let page = inst.page_id.to_string();
    let (out, csv) = {
        let (url, page, out_file) = (url.clone(), page.clone(), out_file.clone());
        tokio::task::spawn_blocking(move || {
            let out = fanfare_cli(&url)
                .args(["export", "--page", &page, "--output"])
                .arg(&out_file)
                .output()
                .unwrap();
            let csv = std::fs::read_to_string(&out_file).unwrap_or_default();
            let _ = std::fs::remove_file(&out_file);
            (out, csv)
        })
        .await
        .unwrap()
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("contact_id,"), "{}", lines[0]);
    assert_eq!(lines.len() as i64, contacts + 1, "{csv}");
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("{ana},"))),
        "{csv}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("exported {contacts} contacts")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // NDJSON of one segment to stdout: only the assistants, each a JSON object.
    let out = {
        let (url, page) = (url.clone(), page.clone());
        tokio::task::spawn_blocking(move || {
            fanfare_cli(&url)
                .args([
                    "export",
                    "--page",
                    &page,
                    "--format",
                    "ndjson",
                    "--segment",
                    "assistant",
                ])
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert!(out.status.success());
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let assistants = app
        .query(|c| {
            count(
                c,
                "segment_memberships sm JOIN segments s ON s.id = sm.segment_id WHERE s.key = 'assistant'",
            )
        })
        .await;
    assert!(assistants >= 2, "the entrants and the voter");
    assert_eq!(rows.len() as i64, assistants);
    assert!(rows
        .iter()
        .all(|r| r["segments"].as_str().unwrap_or("").contains("assistant")));

    // `fanfare segments recompute` with the default thresholds: Ana (one vote
    // received, fewer than 3) is an assistant.
    let recompute = |extra: Vec<(&'static str, &'static str)>| {
        let (url, page) = (url.clone(), page.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                let mut cmd = fanfare_cli(&url);
                cmd.args(["segments", "recompute", "--page", &page]);
                for (k, v) in extra {
                    cmd.env(k, v);
                }
                cmd.output().unwrap()
            })
            .await
            .unwrap()
        }
    };
    let segment_of = |id: i64| {
        let app = &app;
        async move {
            app.query(move |c| {
                #[derive(QueryableByName)]
                struct K {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    key: String,
                }
                diesel::sql_query(format!(
                    "SELECT s.key FROM segment_memberships sm JOIN segments s ON s.id = sm.segment_id \
                     WHERE sm.contact_id = {id} AND s.kind = 'persona'"
                ))
                .load::<K>(c)
                .unwrap()
                .into_iter()
                .map(|k| k.key)
                .collect::<Vec<_>>()
            })
            .await
        }
    };
    let out = recompute(vec![]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        printed.contains(&format!("{}\tcampaigner\t0", inst.page_id)),
        "{printed}"
    );
    assert_eq!(segment_of(ana).await, vec!["assistant"]);
    // A lower threshold in config (one vote received is enough) reclassifies her.
    let out = recompute(vec![(
        "FANFARE__SEGMENTS__CAMPAIGNER_MIN_VOTES_RECEIVED",
        "1",
    )])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        printed.contains(&format!("{}\tcampaigner\t1", inst.page_id)),
        "{printed}"
    );
    assert_eq!(segment_of(ana).await, vec!["campaigner"]);
    let rule = app
        .query(|c| {
            scalar(
                c,
                "SELECT count(*) AS n FROM segments WHERE key = 'campaigner' \
                 AND rule::text LIKE '%\"field\": \"votes_received\", \"value\": 1}%'",
            )
        })
        .await;
    assert_eq!(
        rule, 1,
        "the stored persona rule carries the configured threshold"
    );
}

#[tokio::test]
async fn a_poll_only_fan_is_an_assistant_through_poll_actions() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let (st, c) = api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/contests",
        Some(
            json!({"page_id": inst.page_id, "kind": "ugc", "title": "Summer shirt",
                    "rules_text": "Official rules", "prize": "To be decided by you"}),
        ),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let (slug, cid) = (
        c["slug"].as_str().unwrap().to_string(),
        c["id"].as_i64().unwrap(),
    );
    let closes = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let (st, poll) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{cid}/poll"),
        Some(json!({"budget": 100, "currency": "USD", "closes_at": closes})),
    )
    .await;
    assert_eq!(st, 201, "{poll}");
    // Ana suggests a prize; Ben only votes for it; Cleo only looks at the page.
    let post = |b: reqwest::Client, path: String, form: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let r = b
                .post(app.url(&path))
                .header("accept", "application/json")
                .form(&form)
                .send()
                .await
                .unwrap();
            let st = r.status().as_u16();
            (st, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let ana = fan_logged_in(&app, &fan(3), &slug).await;
    let csrf = fan_page(&app, &ana, &slug).await;
    let (st, s) = post(
        ana.clone(),
        format!("/c/{slug}/poll/suggest"),
        vec![
            ("csrf_token", csrf),
            ("title", "A bike".into()),
            ("value", "90".into()),
            ("url", String::new()),
        ],
    )
    .await;
    assert_eq!(st, 201, "{s}");
    let suggestion = s["suggestion"]["id"].as_i64().unwrap();
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/suggestions/{suggestion}/moderation"),
        Some(json!({"status": "approved"})),
    )
    .await;
    assert_eq!(st, 200);
    let ben = fan_logged_in(&app, &fan(4), &slug).await;
    let csrf = fan_page(&app, &ben, &slug).await;
    let (st, v) = post(
        ben,
        format!("/c/{slug}/poll/vote/{suggestion}"),
        vec![("csrf_token", csrf)],
    )
    .await;
    assert_eq!((st, v["status"].as_str()), (200, Some("counted")), "{v}");
    // Cleo opens the page through the page tab (a signed_request identifies her).
    let sr = fanfare::platform::facebook::signed_request::sign(
        &json!({"algorithm": "HMAC-SHA256", "issued_at": chrono::Utc::now().timestamp(),
                "user_id": fan(6), "page": {"id": BRAND_PAGE}}),
        app.app_secret().as_bytes(),
    );
    let r = browser()
        .post(app.url("/tab"))
        .form(&[("signed_request", sr)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    settled(&app).await;

    let (_, list) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contacts?page_id={}", inst.page_id),
        None,
    )
    .await;
    let by_asid = |id: String| {
        let app = &app;
        async move {
            app.query(move |c| {
                scalar(
                    c,
                    &format!("SELECT contact_id AS n FROM contact_identities WHERE kind = 'asid' AND value = '{id}'"),
                )
            })
            .await
        }
    };
    let (ana_id, ben_id, cleo_id) = (
        by_asid(fan(3)).await,
        by_asid(fan(4)).await,
        by_asid(fan(6)).await,
    );
    let row = |id: i64| {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("contact {id} in {list}"))
            .clone()
    };
    for (id, who) in [(ana_id, "suggester"), (ben_id, "voter")] {
        let r = row(id);
        assert_eq!(r["entries"], 0, "{who} never entered: {r}");
        assert_eq!(r["votes_cast"], 0, "{who} never voted on an entry: {r}");
        let segments = r["segments"].to_string();
        assert!(
            segments.contains("assistant") && !segments.contains("side_liner"),
            "a poll-only {who} took part, so is an assistant: {r}"
        );
    }
    let r = row(cleo_id);
    assert!(r["segments"].to_string().contains("side_liner"), "{r}");
    let poll_actions = app
        .query(move |c| {
            scalar(
                c,
                &format!("SELECT poll_actions::bigint AS n FROM contact_metrics WHERE contact_id = {ben_id}"),
            )
        })
        .await;
    assert_eq!(poll_actions, 1);
}

#[tokio::test]
async fn posts_that_mention_the_page_count_for_reach() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let mention = sandbox(
        &app,
        "mentions",
        json!({"page_id": BRAND_PAGE, "user_id": fan(15), "message": "Loving the new shirts from Threadline!"}),
    )
    .await;
    let post = mention["post_id"].as_str().unwrap().to_string();
    for f in 16..19 {
        sandbox(
            &app,
            "reactions",
            json!({"post_id": post, "user_id": fan(f), "reaction_type": "like"}),
        )
        .await;
    }
    settled(&app).await;
    let p = post.clone();
    app.eventually("the mention is in the timeline", move |c| {
        count(
            c,
            &format!("activities WHERE kind = 'mention' AND details->>'post_id' = '{p}'"),
        ) == 1
    })
    .await;
    assert_eq!(
        tick_after_due(&app, "reach_refresh").await,
        vec!["reach_refresh"]
    );
    let p = post.clone();
    app.eventually("the mentioning post measured", move |c| {
        count(
            c,
            &format!(
                "reach_snapshots WHERE object_id = '{p}' AND object_kind = 'mention_post' \
                 AND reactions = 3 AND error IS NULL"
            ),
        ) == 1
    })
    .await;
    let t = trends(
        &app,
        &inst.token,
        &format!("page_id={}&days=2", inst.page_id),
    )
    .await;
    assert!(series_sum(&t, "reach") >= 3, "{t}");
}

/// Erasure reaches posts that mention the page: the mention webhook names no
/// sender, but the post id starts with its author's id. The post's reach still
/// counts, under a random token instead of the post id.
#[tokio::test]
async fn erasure_reaches_the_persons_mentions_and_their_reach() {
    use crate::callbacks::{now, post_form, signed};
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let words = "My private shout-out to Threadline";
    let author = fan(15);
    let mention = sandbox(
        &app,
        "mentions",
        json!({"page_id": BRAND_PAGE, "user_id": author, "message": words}),
    )
    .await;
    let post = mention["post_id"].as_str().unwrap().to_string();
    // Someone else's mention is kept whole.
    let other = sandbox(
        &app,
        "mentions",
        json!({"page_id": BRAND_PAGE, "user_id": fan(16), "message": "Kept words"}),
    )
    .await;
    let other_post = other["post_id"].as_str().unwrap().to_string();
    sandbox(
        &app,
        "reactions",
        json!({"post_id": post, "user_id": fan(17), "reaction_type": "like"}),
    )
    .await;
    settled(&app).await;
    app.eventually("both mentions are in the timeline", |c| {
        count(c, "activities WHERE kind = 'mention'") == 2
    })
    .await;
    assert_eq!(
        tick_after_due(&app, "reach_refresh").await,
        vec!["reach_refresh"]
    );
    let p = post.clone();
    app.eventually("the mentioning post measured", move |c| {
        count(
            c,
            &format!("reach_snapshots WHERE object_id = '{p}' AND reactions = 1"),
        ) == 1
    })
    .await;
    let reach_before = series_sum(
        &trends(
            &app,
            &inst.token,
            &format!("page_id={}&days=2", inst.page_id),
        )
        .await,
        "reach",
    );

    let sr = signed(
        &app,
        json!({"algorithm": "HMAC-SHA256", "issued_at": now(), "user_id": author}),
    );
    assert_eq!(
        post_form(&app, "/facebook/data-deletion", &sr)
            .await
            .status(),
        200
    );
    app.eventually("deletion completed", |c| {
        count(c, "deletion_requests WHERE status = 'completed'") == 1
    })
    .await;

    let (p, w) = (post.clone(), words.to_string());
    let leaks = app
        .query(move |c| {
            [
                count(c, &format!("reach_snapshots WHERE object_id = '{p}'")),
                count(c, &format!("activities WHERE details::text LIKE '%{p}%' OR details::text LIKE '%{w}%'")),
                count(c, &format!("webhook_events WHERE post_id = '{p}' OR message = '{w}' OR value::text LIKE '%{p}%'")),
                count(
                    c,
                    &format!(
                        "webhook_deliveries WHERE position('{p}'::bytea in body) > 0 \
                         OR position('{w}'::bytea in body) > 0"
                    ),
                ),
            ]
        })
        .await;
    assert_eq!(
        leaks,
        [0; 4],
        "no trace of the mention's post id or words remains (snapshots, activities, events, bodies)"
    );
    let o = other_post.clone();
    let kept = app
        .query(move |c| {
            count(c, &format!("activities WHERE details->>'post_id' = '{o}'"))
                + count(
                    c,
                    &format!("webhook_events WHERE post_id = '{o}' AND message = 'Kept words'"),
                )
        })
        .await;
    assert_eq!(kept, 2, "the other fan's mention is untouched");
    let reach_after = series_sum(
        &trends(
            &app,
            &inst.token,
            &format!("page_id={}&days=2", inst.page_id),
        )
        .await,
        "reach",
    );
    assert_eq!(
        reach_after, reach_before,
        "the page's reach totals still add up"
    );
    assert_eq!(
        app.query(|c| count(c, "reach_snapshots WHERE object_id LIKE 'erased:%'"))
            .await,
        1
    );
}
