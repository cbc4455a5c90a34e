//! Points through HTTP: every reason awarded by the contest's rules, caps per
//! day and per contact, replays that award once, concurrent awards whose
//! balance is always the sum of the ledger, an append-only ledger, and
//! leaderboards with deterministic ties.

use fanfare::platform::sandbox::seed::FIRST_FAN;
use serde_json::{json, Value};

use crate::accounts::browser;
use crate::engage::{
    app, assert_ledger_consistent, balance, click, code_of, contact_of_entry, entrant, id, scalar,
    slug,
};
use crate::helpers::count;
use crate::support::{api, enter, fan_logged_in, fan_page, installed, open_contest};

#[tokio::test]
async fn replayed_and_concurrent_awards_keep_every_balance_equal_to_its_ledger() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let (s, cid) = (slug(&c), id(&c));
    let (_, entry) = entrant(&app, &s, "ana@fan.io", &[]).await;
    let ana = app.query(move |c| contact_of_entry(c, entry)).await;
    assert_eq!(
        app.query(move |c| balance(c, cid, ana)).await,
        10,
        "the starter rules give 10 points per entry"
    );

    // 40 concurrent adjustments: 20 keys, each sent twice.
    let path = format!("/api/v1/contests/{cid}/points");
    let calls = (0..40).map(|i| {
        let body = json!({"contact_id": ana, "points": 3, "note": "great photo", "idempotency_key": format!("k{}", i % 20)});
        api(&app, &inst.token, "POST", &path, Some(body))
    });
    let results = futures::future::join_all(calls).await;
    let created = results.iter().filter(|(st, _)| *st == 201).count();
    let replayed = results
        .iter()
        .filter(|(st, b)| *st == 200 && b["replayed"] == true)
        .count();
    assert_eq!((created, replayed), (20, 20), "{results:?}");
    assert_eq!(app.query(move |c| balance(c, cid, ana)).await, 70);
    app.query(assert_ledger_consistent).await;

    // Concurrent awards to many people at once, interleaved with replays of
    // the same entries' sources (the hooks run again only through new events).
    let people = futures::future::join_all((0..30).map(|i| {
        let s = s.clone();
        let app = &app;
        async move {
            let email = format!("p{i}@fan.io");
            entrant(app, &s, &email, &[]).await.1
        }
    }))
    .await;
    assert_eq!(people.len(), 30);
    app.query(assert_ledger_consistent).await;
    assert_eq!(
        app.query(move |c| scalar(
            c,
            &format!(
                "SELECT sum(points)::bigint AS n FROM point_balances WHERE contest_id = {cid}"
            )
        ))
        .await,
        70 + 30 * 10
    );

    // Adjustments need a note and a non-zero amount, and a contact of this page.
    for (body, code) in [
        (
            json!({"contact_id": ana, "points": 5, "note": " "}),
            "invalid_length",
        ),
        (
            json!({"contact_id": ana, "points": 0, "note": "x"}),
            "invalid_points",
        ),
        (
            json!({"contact_id": ana, "points": 1000000, "note": "x"}),
            "invalid_points",
        ),
    ] {
        let (st, e) = api(&app, &inst.token, "POST", &path, Some(body)).await;
        assert_eq!((st, e["error"]["code"].as_str()), (422, Some(code)));
    }
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &path,
        Some(json!({"contact_id": 999999, "points": 5, "note": "x"})),
    )
    .await;
    assert_eq!(st, 404);
    let (st, minus) = api(
        &app,
        &inst.token,
        "POST",
        &path,
        Some(json!({"contact_id": ana, "points": -20, "note": "duplicate account"})),
    )
    .await;
    assert_eq!((st, minus["balance"].as_i64()), (201, Some(50)));
    let (_, ledger) = api(
        &app,
        &inst.token,
        "GET",
        &format!("{path}?contact_id={ana}"),
        None,
    )
    .await;
    let rows = ledger["data"].as_array().unwrap();
    assert_eq!(rows.len(), 22);
    assert_eq!(ledger["balance"], 50);
    assert_eq!(rows[0]["reason"], "admin_adjustment");
    assert_eq!(rows[0]["note"], "duplicate account");
    let sum: i64 = rows.iter().map(|r| r["points"].as_i64().unwrap()).sum();
    assert_eq!(sum, 50);

    // The ledger is append-only, in the database itself.
    let (update, delete) = app
        .query(|c| {
            use diesel::RunQueryDsl;
            (
                diesel::sql_query("UPDATE point_awards SET points = 1000").execute(c),
                diesel::sql_query("DELETE FROM point_awards").execute(c),
            )
        })
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let (_, audit) = api(&app, &inst.token, "GET", "/api/v1/audit", None).await;
    assert_eq!(
        audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "points.adjusted")
            .count(),
        21
    );
}

#[tokio::test]
async fn caps_hold_under_concurrent_referral_conversions() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true, "point_rules": {
            "entry": {"points": 1},
            "referral_conversion": {"points": 10, "per_day": 50, "per_contact": 80}
        }}),
    )
    .await;
    let (s, cid) = (slug(&c), id(&c));
    let (_, entry) = entrant(&app, &s, "ana@fan.io", &[]).await;
    let ana = app.query(move |c| contact_of_entry(c, entry)).await;
    let code = app.query(move |c| code_of(c, ana)).await;
    // One browser that followed Ana's link; 30 friends enter through it at once.
    let b = browser();
    click(&app, &b, &code).await;
    let csrf = fan_page(&app, &b, &s).await;
    let entries = (0..30).map(|i| {
        let (b, s, csrf) = (&b, &s, &csrf);
        let app = &app;
        async move {
            let email = format!("friend{i}@fan.io");
            enter(
                app,
                b,
                s,
                csrf,
                &[
                    ("email", email.as_str()),
                    ("text", "x"),
                    ("accept_rules", "on"),
                ],
                true,
            )
            .await
            .0
        }
    });
    let statuses = futures::future::join_all(entries).await;
    assert!(statuses.iter().all(|st| *st == 201), "{statuses:?}");
    assert_eq!(
        app.query(|c| count(c, "referrals WHERE status = 'credited'"))
            .await,
        30,
        "every conversion is recorded"
    );
    let referral_points = app
        .query(move |c| {
            scalar(
                c,
                &format!(
                    "SELECT sum(points)::bigint AS n FROM point_awards WHERE contest_id = {cid} \
                     AND contact_id = {ana} AND reason = 'referral_conversion'"
                ),
            )
        })
        .await;
    assert_eq!(referral_points, 50, "the daily cap holds under concurrency");
    // The next day the per-contact cap (80) takes over.
    app.query(move |c| {
        use diesel::connection::SimpleConnection;
        // The ledger is append-only; moving its rows into the past is what a
        // day passing looks like, so this test lifts the guard for a moment.
        c.batch_execute(
            "ALTER TABLE point_awards DISABLE TRIGGER point_awards_ledger; \
             UPDATE point_awards SET award_day = award_day - 1; \
             ALTER TABLE point_awards ENABLE TRIGGER point_awards_ledger",
        )
        .unwrap()
    })
    .await;
    for i in 0..5 {
        let email = format!("late{i}@fan.io");
        let (st, _) = enter(
            &app,
            &b,
            &s,
            &csrf,
            &[
                ("email", email.as_str()),
                ("text", "x"),
                ("accept_rules", "on"),
            ],
            true,
        )
        .await;
        assert_eq!(st, 201);
    }
    assert_eq!(
        app.query(move |c| balance(c, cid, ana)).await,
        1 + 80,
        "capped per contact"
    );
    app.query(assert_ledger_consistent).await;
}

#[tokio::test]
async fn every_reason_pays_by_the_rules_and_leaderboards_break_ties_deterministically() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true,
        "form_schema": {"fields": {"email": "required"},
            "questions": [{"id": "capital", "label": "Capital of France?", "kind": "text"}]},
        "point_rules": {
            "entry": {"points": 10},
            "vote_received": {"points": 2, "per_day": 4},
            "daily_visit": {"points": 1},
            "bonus_question": {"points": 5, "questions": {"capital": "Paris"}}
        }}),
    )
    .await;
    let (s, cid) = (slug(&c), id(&c));
    // Point rules are validated.
    for (rules, why) in [
        (json!({"entry": {"points": -1}}), "entry.points"),
        (
            json!({"bonus_question": {"points": 1, "questions": {"nope": null}}}),
            "not a question",
        ),
        (json!({"share": {"points": 1}}), "unknown field"),
    ] {
        let (st, e) = api(
            &app,
            &inst.token,
            "PATCH",
            &format!("/api/v1/contests/{cid}"),
            Some(json!({"point_rules": rules})),
        )
        .await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (422, Some("invalid_point_rules"))
        );
        assert!(e["error"]["message"].as_str().unwrap().contains(why), "{e}");
    }

    let (ana_b, ana_entry) = entrant(&app, &s, "ana@fan.io", &[("q_capital", " paris ")]).await;
    let ana = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    assert_eq!(
        app.query(move |c| balance(c, cid, ana)).await,
        15,
        "entry + bonus"
    );
    let (_, ben_entry) = entrant(&app, &s, "ben@fan.io", &[("q_capital", "Lyon")]).await;
    let (_, cleo_entry) = entrant(&app, &s, "cleo@fan.io", &[]).await;
    let ben = app.query(move |c| contact_of_entry(c, ben_entry)).await;
    let cleo = app.query(move |c| contact_of_entry(c, cleo_entry)).await;
    assert_eq!(
        app.query(move |c| balance(c, cid, ben)).await,
        10,
        "a wrong answer earns no bonus"
    );

    // Three votes for Ana: 2 points each, capped at 4 a day.
    let mut vote_ids = Vec::new();
    for n in 0..3u64 {
        let voter = fan_logged_in(&app, &(FIRST_FAN + 10 + n).to_string(), &s).await;
        let csrf = fan_page(&app, &voter, &s).await;
        let r: Value = voter
            .post(app.url(&format!("/c/{s}/vote/{ana_entry}")))
            .header("accept", "application/json")
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        vote_ids.push(r["vote_id"].as_i64().unwrap());
    }
    assert_eq!(app.query(move |c| balance(c, cid, ana)).await, 19);
    // Daily visit: once per person and day, for known visitors.
    for _ in 0..3 {
        ana_b.get(app.url(&format!("/c/{s}"))).send().await.unwrap();
    }
    assert_eq!(app.query(move |c| balance(c, cid, ana)).await, 20);
    // A voided vote takes its points back.
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/votes/{}/void", vote_ids[0]),
        Some(json!({"reason": "same household"})),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(app.query(move |c| balance(c, cid, ana)).await, 18);
    let reasons = app
        .query(move |c| {
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct R {
                #[diesel(sql_type = diesel::sql_types::Text)]
                reason: String,
            }
            diesel::sql_query(format!(
                "SELECT DISTINCT reason FROM point_awards WHERE contact_id = {ana} ORDER BY reason"
            ))
            .load::<R>(c)
            .unwrap()
            .into_iter()
            .map(|r| r.reason)
            .collect::<Vec<_>>()
        })
        .await;
    assert_eq!(
        reasons,
        [
            "admin_adjustment",
            "bonus_question",
            "daily_visit",
            "entry",
            "vote_received"
        ]
    );
    assert_eq!(
        app.query(move |c| count(
            c,
            &format!("activities WHERE kind = 'points_awarded' AND contact_id = {ana}")
        ))
        .await,
        6,
        "entry, bonus, two votes, a visit, the reversal"
    );

    // Two voters (no entries) get 10 points too, in reverse contact order.
    let voters = app
        .query(|c| {
            use diesel::prelude::*;
            use fanfare::db::schema::votes;
            votes::table
                .select(votes::voter_contact_id)
                .distinct()
                .order(votes::voter_contact_id.desc())
                .limit(2)
                .load::<i64>(c)
                .unwrap()
        })
        .await;
    for v in &voters {
        let (st, _) = api(
            &app,
            &inst.token,
            "POST",
            &format!("/api/v1/contests/{cid}/points"),
            Some(json!({"contact_id": v, "points": 10, "note": "tie"})),
        )
        .await;
        assert_eq!(st, 201);
    }
    // Leaderboards: by points, Ben and Cleo tie at 10 and the earlier entry
    // wins; the voters, tied too but without an entry, follow by contact id.
    let (_, board) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}/leaderboard?by=points"),
        None,
    )
    .await;
    let order: Vec<i64> = board["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["contact_id"].as_i64().unwrap())
        .collect();
    let mut tied_voters = voters.clone();
    tied_voters.sort();
    assert_eq!(order, [vec![ana, ben, cleo], tied_voters].concat());
    // The SQL ranking is the documented one: compare with the domain's sort,
    // over ties on points with and without entries.
    let (sql, sorted) = app
        .query(move |c| {
            let sql = fanfare::db::points::top_balances(c, cid, 1000).unwrap();
            let mut sorted = sql.clone();
            sorted.reverse();
            fanfare::domain::leaderboard::by_points(&mut sorted);
            let ids = |rows: &[fanfare::db::points::BalanceRow]| {
                rows.iter().map(|r| r.contact_id).collect::<Vec<_>>()
            };
            (ids(&sql), ids(&sorted))
        })
        .await;
    assert_eq!(sql, sorted);
    assert_eq!(sql.len(), 5);
    assert_eq!(board["data"][1]["rank"], 2);
    let (_, board) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}/leaderboard?by=votes"),
        None,
    )
    .await;
    let order: Vec<(i64, i64)> = board["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["entry_id"].as_i64().unwrap(),
                r["votes"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(order, [(ana_entry, 2), (ben_entry, 0), (cleo_entry, 0)]);
    let (st, _) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}/leaderboard?by=luck"),
        None,
    )
    .await;
    assert_eq!(st, 422);

    // The fan page shows the fan's points and the top campaigners.
    let html = ana_b
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Top campaigners"));
    let mine = crate::support::my_part(&app, &ana_b, &s).await;
    assert!(mine.contains("Your points: <strong>18</strong>"), "{mine}");
    app.query(assert_ledger_consistent).await;
}

/// Two people's balances in one contest.
async fn balances(app: &crate::helpers::TestApp, cid: i64, [a, b]: [i64; 2]) -> (i64, i64) {
    app.query(move |c| (balance(c, cid, a), balance(c, cid, b)))
        .await
}

/// Moderates one entry through the API.
async fn moderate(app: &crate::helpers::TestApp, token: &str, entry: i64, status: &str) -> Value {
    let (st, body) = api(
        app,
        token,
        "POST",
        &format!("/api/v1/entries/{entry}/moderation"),
        Some(json!({"status": status, "reason": "fake account"})),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    body
}

#[tokio::test]
async fn rejected_entries_give_back_what_they_earned_and_restored_ones_get_it_again() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true,
        "form_schema": {"fields": {"email": "required"},
            "questions": [{"id": "capital", "label": "Capital of France?", "kind": "text"}]},
        "point_rules": {
            "entry": {"points": 10},
            "vote_received": {"points": 2},
            "referral_conversion": {"points": 25},
            "bonus_question": {"points": 5, "questions": {"capital": "Paris"}}
        }}),
    )
    .await;
    let (s, cid) = (slug(&c), id(&c));
    let (_, ana_entry) = entrant(&app, &s, "ana@fan.io", &[]).await;
    let ana = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    let code = app.query(move |c| code_of(c, ana)).await;
    // Ben follows Ana's link and enters with the right bonus answer; a fan votes for him.
    let ben_browser = browser();
    click(&app, &ben_browser, &code).await;
    let ben_entry = crate::engage::enter_as(
        &app,
        &ben_browser,
        &s,
        "ben@fan.io",
        &[("q_capital", "Paris")],
    )
    .await;
    let ben = app.query(move |c| contact_of_entry(c, ben_entry)).await;
    let (st, _) = crate::support::vote_as(&app, &(FIRST_FAN + 3).to_string(), &s, ben_entry).await;
    assert_eq!(st, 200);
    assert_eq!(
        balances(&app, cid, [ana, ben]).await,
        (10 + 25, 10 + 5 + 2),
        "before moderation"
    );

    // Disqualified: Ben's entry, bonus and vote points go, and so does the
    // referral conversion Ana earned through him. Repeating changes nothing.
    moderate(&app, &inst.token, ben_entry, "disqualified").await;
    assert_eq!(balances(&app, cid, [ana, ben]).await, (10, 0));
    moderate(&app, &inst.token, ben_entry, "disqualified").await;
    moderate(&app, &inst.token, ben_entry, "rejected").await;
    assert_eq!(
        balances(&app, cid, [ana, ben]).await,
        (10, 0),
        "settling twice takes nothing more"
    );
    // Restored: everything comes back; rejected again: gone again.
    moderate(&app, &inst.token, ben_entry, "approved").await;
    assert_eq!(balances(&app, cid, [ana, ben]).await, (35, 17));
    moderate(&app, &inst.token, ben_entry, "rejected").await;
    assert_eq!(balances(&app, cid, [ana, ben]).await, (10, 0));
    // Every change is a correcting ledger row, never an edit: 3 settlements x 2 people.
    assert_eq!(
        app.query(|c| count(
            c,
            "point_awards WHERE reason = 'admin_adjustment' AND source_key LIKE 'moderation:%'"
        ))
        .await,
        6
    );
    // Ana's own entry was never touched.
    let (_, me) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/entries/{ana_entry}"),
        None,
    )
    .await;
    assert_eq!(me["status"], "approved", "{me}");
    app.query(assert_ledger_consistent).await;
}
