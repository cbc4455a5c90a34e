//! Winner selection through HTTP: a random draw committed at opening and
//! recomputed from the published record alone (by `fanfare verify-draw` and by
//! `draw::verify`), exclusions, declines passing the prize to the next
//! alternate, and deterministic winners by votes, points and judges.

use std::process::Command;

use fanfare::domain::draw::{self, DrawRecord};
use fanfare::platform::sandbox::seed::{ADMIN_SAM, FIRST_FAN, MODERATOR_JORDAN};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::accounts::admin_token;
use crate::engage::{app, contact_of_entry, entrant, id, slug};
use crate::helpers::{count, TestApp};
use crate::support::{api, fan_logged_in, fan_page, installed, open_contest, Installed};

async fn transition(app: &TestApp, inst: &Installed, cid: i64, to: &str) {
    let (st, body) = api(
        app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{cid}/transition"),
        Some(json!({"to": to})),
    )
    .await;
    assert_eq!(st, 200, "{to}: {body}");
}

async fn moderate(app: &TestApp, inst: &Installed, entry: i64, status: &str) {
    let (st, body) = api(
        app,
        &inst.token,
        "POST",
        &format!("/api/v1/entries/{entry}/moderation"),
        Some(json!({"status": status, "reason": "test"})),
    )
    .await;
    assert_eq!(st, 200, "{body}");
}

async fn run_draw(app: &TestApp, inst: &Installed, cid: i64, body: Value) -> (u16, Value) {
    api(
        app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{cid}/draw"),
        Some(body),
    )
    .await
}

fn entry_ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["entry_id"].as_i64().unwrap())
        .collect()
}

fn verify_draw_cli(source: String) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fanfare"))
        .args(["verify-draw", &source])
        .env("FANFARE__LOG__LEVEL", "warn")
        .output()
        .expect("the fanfare binary runs")
}

/// The 64-hex-digit commitment shown on the rules page.
fn commitment_in(html: &str) -> String {
    let start = html.find("<code>").expect("a commitment") + "<code>".len();
    let c = &html[start..start + 64];
    assert!(c.chars().all(|ch| ch.is_ascii_hexdigit()), "{c}");
    c.to_string()
}

#[tokio::test]
async fn a_random_draw_is_committed_at_opening_and_recomputed_from_the_published_record_alone() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": false, "points_per_bonus_entry": 10, "point_rules": {}}),
    )
    .await;
    let (s, cid) = (slug(&c), id(&c));

    // The commitment is public from the moment the contest opens; the seed is not.
    let rules = app
        .get(&format!("/c/{s}/rules"))
        .await
        .text()
        .await
        .unwrap();
    assert!(rules.contains("Draw commitment"));
    let published = commitment_in(&rules);
    assert_eq!(app.get(&format!("/c/{s}/draw.json")).await.status(), 404);

    let mut entries = Vec::new();
    for i in 0..8 {
        entries.push(entrant(&app, &s, &format!("e{i}@fan.io"), &[]).await.1);
    }
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{cid}/entries/moderation"),
        Some(json!({"status": "approved", "entry_ids": entries[..6]})),
    )
    .await;
    assert_eq!(st, 200);
    moderate(&app, &inst, entries[6], "disqualified").await;
    // entries[7] stays pending: not eligible either.
    let e0 = entries[0];
    let e1 = entries[1];
    let c0 = app.query(move |c| contact_of_entry(c, e0)).await;
    let c1 = app.query(move |c| contact_of_entry(c, e1)).await;
    for (contact, points) in [(c0, 25), (c1, 10)] {
        let (st, _) = api(
            &app,
            &inst.token,
            "POST",
            &format!("/api/v1/contests/{cid}/points"),
            Some(json!({"contact_id": contact, "points": points, "note": "campaigning"})),
        )
        .await;
        assert_eq!(st, 201);
    }

    let (st, e) = run_draw(
        &app,
        &inst,
        cid,
        json!({"method": "random", "winners": 2, "alternates": 3}),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("contest_not_closed"))
    );
    transition(&app, &inst, cid, "closed").await;
    let (st, e) = run_draw(&app, &inst, cid, json!({"method": "dice", "winners": 1})).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("invalid_method"))
    );
    let (st, drawn) = run_draw(
        &app,
        &inst,
        cid,
        json!({"method": "random", "winners": 2, "alternates": 3}),
    )
    .await;
    assert_eq!(st, 201, "{drawn}");
    assert_eq!(drawn["record_url"], format!("/c/{s}/draw.json"));
    let (st, e) = run_draw(
        &app,
        &inst,
        cid,
        json!({"method": "random", "winners": 2, "alternates": 3}),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("already_drawn"))
    );

    // Everything needed is in the public record.
    let r = app.get(&format!("/c/{s}/draw.json")).await;
    assert_eq!(r.status(), 200);
    let record: DrawRecord = r.json().await.unwrap();
    assert_eq!(
        record.commitment, published,
        "the seed published at opening"
    );
    assert_eq!(record.contest_id, cid);
    let listed: Vec<(i64, u32)> = record
        .entries
        .iter()
        .map(|e| (e.entry_id, e.weight))
        .collect();
    let mut expected: Vec<(i64, u32)> = entries[..6].iter().map(|e| (*e, 1)).collect();
    expected[0].1 = 3; // one entry + 25 points / 10 per bonus entry
    expected[1].1 = 2;
    assert_eq!(
        listed, expected,
        "approved entries only, weighted by bonus entries"
    );
    // Recomputed independently: SHA-256 of the seed, then the documented algorithm.
    let seed = hex::decode(&record.seed).unwrap();
    assert_eq!(hex::encode(Sha256::digest(&seed)), published);
    let again = draw::draw(
        &seed,
        &record.entries,
        record.winners_count,
        record.alternates_count,
    );
    assert_eq!(
        (again.winners.clone(), again.alternates.clone()),
        (record.winners.clone(), record.alternates.clone())
    );
    assert_eq!(draw::verify(&record), Ok(()));
    assert_eq!((record.winners.len(), record.alternates.len()), (2, 3));
    for loser in [entries[6], entries[7]] {
        assert!(!record.winners.contains(&loser) && !record.alternates.contains(&loser));
    }
    // And by the command anyone can run, on the URL and on a saved copy.
    let url = app.url(&format!("/c/{s}/draw.json"));
    let out = tokio::task::spawn_blocking(move || verify_draw_cli(url))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("RESULT: OK, the draw verifies."),
        "{stdout}"
    );
    let file = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("draw-{cid}-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, serde_json::to_vec(&record).unwrap()).unwrap();
    let out =
        tokio::task::spawn_blocking(move || verify_draw_cli(file.to_string_lossy().into_owned()))
            .await
            .unwrap();
    assert!(out.status.success());

    // The winners list matches the record, and the seed was never stored in clear.
    let (_, winners) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}/winners"),
        None,
    )
    .await;
    assert_eq!(entry_ids(&winners["winners"]), record.winners);
    assert_eq!(entry_ids(&winners["alternates"]), record.alternates);
    assert_eq!(winners["commitment"], published);
    let seed_hex = record.seed.clone();
    let sealed = app
        .query(move |c| {
            count(
                c,
                &format!("draw_seeds WHERE position('{seed_hex}'::bytea in seed_enc) > 0 OR encode(seed_enc, 'hex') LIKE '%{seed_hex}%'"),
            )
        })
        .await;
    assert_eq!(sealed, 0, "the seed is stored sealed");
    let (_, audit) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/audit?subject_type=contest&subject_id={cid}"),
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
        actions.contains(&"draw.committed") && actions.contains(&"draw.run"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn excluded_entries_never_win_and_a_decline_passes_the_prize_to_the_next_alternate() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let (s, cid) = (slug(&c), id(&c));
    for (i, last) in ["Lima", "Okafor", "Schmidt", "Garcia", "Nguyen", "Rossi"]
        .iter()
        .enumerate()
    {
        entrant(
            &app,
            &s,
            &format!("d{i}@fan.io"),
            &[("name", &format!("Fan {last}"))],
        )
        .await;
    }
    transition(&app, &inst, cid, "closed").await;
    let (st, drawn) = run_draw(
        &app,
        &inst,
        cid,
        json!({"method": "random", "winners": 1, "alternates": 4}),
    )
    .await;
    assert_eq!(st, 201);
    let picks: Vec<Value> = drawn["picks"].as_array().unwrap().clone();
    let pick = |i: usize| picks[i]["id"].as_i64().unwrap();
    let entry = |i: usize| picks[i]["entry_id"].as_i64().unwrap();
    assert_eq!(picks[0]["status"], "won");
    assert_eq!(picks[0]["prize_slot"], 1);

    // The first alternate is disqualified after the draw: passed over at once.
    moderate(&app, &inst, entry(1), "disqualified").await;
    let (_, winners) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}/winners"),
        None,
    )
    .await;
    assert_eq!(winners["picks"][1]["status"], "skipped");
    assert_eq!(
        entry_ids(&winners["alternates"]),
        [entry(2), entry(3), entry(4)]
    );
    let (st, out) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/winners/{}/decline", pick(0)),
        Some(json!({"reason": "no reply within 7 days"})),
    )
    .await;
    assert_eq!(st, 200, "{out}");
    assert_eq!(out["declined"]["status"], "declined");
    assert_eq!(out["skipped"], json!([]));
    assert_eq!(out["promoted"]["entry_id"], entry(2));
    assert_eq!(out["promoted"]["prize_slot"], 1);
    assert_eq!(out["promoted"]["replaces_pick_id"], pick(0));
    // Only a current winner can decline.
    for p in [pick(0), pick(1), pick(3)] {
        let (st, e) = api(
            &app,
            &inst.token,
            "POST",
            &format!("/api/v1/winners/{p}/decline"),
            Some(json!({"reason": "x"})),
        )
        .await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (409, Some("not_a_winner"))
        );
    }
    // An alternate's entry disqualified outside moderation (as an erasure
    // does) is passed over when its turn comes.
    let erased = entry(3);
    app.query(move |c| {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "UPDATE entries SET status = 'disqualified' WHERE id = {erased}"
        ))
        .execute(c)
        .unwrap()
    })
    .await;
    // Disqualifying the current winner passes the prize on by itself.
    moderate(&app, &inst, entry(2), "disqualified").await;
    let (_, winners) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}/winners"),
        None,
    )
    .await;
    assert_eq!(entry_ids(&winners["winners"]), [entry(4)]);
    assert_eq!(winners["alternates"], json!([]));
    let statuses: Vec<&str> = winners["picks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["declined", "skipped", "declined", "skipped", "won"]
    );
    assert_eq!(
        winners["picks"][3]["status_reason"],
        "the entry is disqualified"
    );
    let (_, audit) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/audit?subject_type=contest&subject_id={cid}"),
        None,
    )
    .await;
    assert_eq!(
        audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "draw.winner_declined")
            .count(),
        2
    );

    // Another tenant cannot decline this contest's winners.
    let sam = admin_token(&app, ADMIN_SAM).await;
    crate::tenancy::assert_no_cross_tenant_access(&app, &sam, "winner", pick(4)).await;

    // Announced: the fan page names the winner and shows how to check the draw.
    let (st, announced) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{cid}/announce"),
        None,
    )
    .await;
    assert_eq!(
        (st, announced["status"].as_str()),
        (200, Some("winners_announced"))
    );
    let html = app.get(&format!("/c/{s}")).await.text().await.unwrap();
    let winner_entry = entry(4);
    let n: String = app
        .query(move |c| {
            use diesel::prelude::*;
            use fanfare::db::schema::{contacts, entries};
            entries::table
                .inner_join(contacts::table)
                .filter(entries::id.eq(winner_entry))
                .select(contacts::display_name)
                .first::<Option<String>>(c)
                .unwrap()
                .unwrap()
        })
        .await;
    // Public lists show first names and initials only.
    let short = format!("Fan {}.", n["Fan ".len()..].chars().next().unwrap());
    assert!(html.contains("Winners</h2>"), "{html}");
    assert!(
        html.contains(&format!("<strong>{short}</strong>")),
        "{short}: {html}"
    );
    assert!(html.contains("verify-draw"));
}

#[tokio::test]
async fn winners_by_votes_points_and_judges_follow_deterministic_rankings() {
    let app = app().await;
    let inst = installed(&app).await;

    // By votes: 2, 1, 1 votes; the tie goes to the earlier entry.
    let v = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let (vs, vid) = (slug(&v), id(&v));
    let mut ve = Vec::new();
    for i in 0..3 {
        ve.push(entrant(&app, &vs, &format!("v{i}@fan.io"), &[]).await.1);
    }
    for (voter, targets) in [(40u64, [ve[1], ve[0]]), (41, [ve[1], ve[2]])] {
        let b = fan_logged_in(&app, &(FIRST_FAN + voter).to_string(), &vs).await;
        let csrf = fan_page(&app, &b, &vs).await;
        for t in targets {
            let r = b
                .post(app.url(&format!("/c/{vs}/vote/{t}")))
                .header("accept", "application/json")
                .form(&[("csrf_token", csrf.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    }
    transition(&app, &inst, vid, "closed").await;
    let (st, d) = run_draw(
        &app,
        &inst,
        vid,
        json!({"method": "votes", "winners": 2, "alternates": 1}),
    )
    .await;
    assert_eq!(st, 201, "{d}");
    assert_eq!(entry_ids(&d["winners"]), [ve[1], ve[0]]);
    assert_eq!(entry_ids(&d["alternates"]), [ve[2]]);
    assert_eq!(d["draw"]["ranking"][0]["votes"], 2);
    assert_eq!(
        app.get(&format!("/c/{vs}/draw.json")).await.status(),
        404,
        "no random draw to verify"
    );

    // By points: 15, 15, 11; the tie goes to the earlier entrant.
    let p = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let (ps, pid) = (slug(&p), id(&p));
    let mut pe = Vec::new();
    for i in 0..3 {
        pe.push(entrant(&app, &ps, &format!("p{i}@fan.io"), &[]).await.1);
    }
    for (e, pts) in [(pe[0], 5), (pe[1], 5), (pe[2], 1)] {
        let contact = app.query(move |c| contact_of_entry(c, e)).await;
        api(
            &app,
            &inst.token,
            "POST",
            &format!("/api/v1/contests/{pid}/points"),
            Some(json!({"contact_id": contact, "points": pts, "note": "x"})),
        )
        .await;
    }
    // Page views (and their daily visit points) are written in the background:
    // settle them before the draw reads the points.
    app.state.views.flush().await;
    transition(&app, &inst, pid, "closed").await;
    let (_, d) = run_draw(
        &app,
        &inst,
        pid,
        json!({"method": "points", "winners": 1, "alternates": 2}),
    )
    .await;
    assert_eq!(entry_ids(&d["winners"]), [pe[0]]);
    assert_eq!(entry_ids(&d["alternates"]), [pe[1], pe[2]]);

    // By judges: two judges (the page's admins) score on two criteria.
    let j = open_contest(&app, &inst, json!({"auto_approve": false})).await;
    let (js, jid) = (slug(&j), id(&j));
    let mut je = Vec::new();
    for i in 0..4 {
        je.push(entrant(&app, &js, &format!("j{i}@fan.io"), &[]).await.1);
    }
    api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{jid}/entries/moderation"),
        Some(json!({"status": "approved", "entry_ids": je[..3]})),
    )
    .await;
    let mut criteria = Vec::new();
    for name in ["Originality", "Fit with the brand"] {
        let (st, c) = api(
            &app,
            &inst.token,
            "POST",
            &format!("/api/v1/contests/{jid}/criteria"),
            Some(json!({"name": name})),
        )
        .await;
        assert_eq!(st, 201);
        criteria.push(c["id"].as_i64().unwrap());
    }
    let (st, e) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{jid}/criteria"),
        Some(json!({"name": "Originality"})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("duplicate_criterion"))
    );
    let jordan = admin_token(&app, MODERATOR_JORDAN).await;
    let score = |token: String, entry: i64, a: i64, b: i64| {
        let app = &app;
        let criteria = criteria.clone();
        async move {
            api(app, &token, "PUT", &format!("/api/v1/entries/{entry}/scores"),
                Some(json!({"scores": [{"criterion_id": criteria[0], "score": a}, {"criterion_id": criteria[1], "score": b}]}))).await
        }
    };
    assert_eq!(score(inst.token.clone(), je[0], 8, 6).await.0, 200);
    assert_eq!(score(inst.token.clone(), je[1], 9, 9).await.0, 200);
    let (st, view) = score(jordan.clone(), je[0], 10, 10).await;
    assert_eq!((st, view["average"].as_f64()), (200, Some(8.5)));
    // A judge's second score replaces the first.
    assert_eq!(
        score(jordan.clone(), je[0], 10, 10).await.1["scores"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    for (entry, a, code, status) in [
        (je[0], 11, "invalid_score", 422),
        (je[0], 0, "invalid_score", 422),
        (je[3], 5, "entry_not_approved", 409),
    ] {
        let (st, e) = score(inst.token.clone(), entry, a, 5).await;
        assert_eq!((st, e["error"]["code"].as_str()), (status, Some(code)));
    }
    let (st, e) = api(
        &app,
        &inst.token,
        "PUT",
        &format!("/api/v1/entries/{}/scores", je[0]),
        Some(json!({"scores": [{"criterion_id": 999999, "score": 5}]})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("unknown_criterion"))
    );
    let (_, ranking) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{jid}/judging"),
        None,
    )
    .await;
    assert_eq!(
        entry_ids(&ranking["data"]),
        [je[1], je[0]],
        "unscored entries are not ranked"
    );
    transition(&app, &inst, jid, "closed").await;
    let (_, d) = run_draw(
        &app,
        &inst,
        jid,
        json!({"method": "judges", "winners": 1, "alternates": 5}),
    )
    .await;
    assert_eq!(entry_ids(&d["winners"]), [je[1]]);
    assert_eq!(entry_ids(&d["alternates"]), [je[0]]);
    let (st, e) = score(inst.token.clone(), je[2], 5, 5).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("already_drawn"))
    );
}

#[tokio::test]
async fn an_erased_winner_is_declined_and_the_prize_passes_to_the_next_alternate() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let (s, cid) = (slug(&c), id(&c));
    // Three fans enter with Facebook Login, so each has an app-scoped id.
    let mut fan_of_entry = std::collections::HashMap::new();
    for k in 0..3u64 {
        let fan_id = (FIRST_FAN + 20 + k).to_string();
        let b = fan_logged_in(&app, &fan_id, &s).await;
        let csrf = fan_page(&app, &b, &s).await;
        let email = format!("erase{k}@fan.io");
        let (st, body) = crate::support::enter(
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
        assert_eq!(st, 201, "{body}");
        let entry = serde_json::from_str::<Value>(&body).unwrap()["entry"]["id"]
            .as_i64()
            .unwrap();
        fan_of_entry.insert(entry, fan_id);
    }
    transition(&app, &inst, cid, "closed").await;
    let (st, drawn) = run_draw(
        &app,
        &inst,
        cid,
        json!({"method": "random", "winners": 1, "alternates": 2}),
    )
    .await;
    assert_eq!(st, 201, "{drawn}");
    let winner = drawn["picks"][0]["entry_id"].as_i64().unwrap();
    let next = drawn["picks"][1]["entry_id"].as_i64().unwrap();

    // The winner asks Facebook to delete their data.
    let sr = fanfare::platform::facebook::signed_request::sign(
        &json!({"algorithm": "HMAC-SHA256", "issued_at": chrono::Utc::now().timestamp(),
                "user_id": fan_of_entry[&winner]}),
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
    let (_, winners) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}/winners"),
        None,
    )
    .await;
    assert_eq!(entry_ids(&winners["winners"]), [next], "{winners}");
    assert_eq!(winners["picks"][0]["status"], "declined");
    assert_eq!(
        winners["picks"][0]["status_reason"],
        "the entry was disqualified"
    );
}
