//! The pre-launch prize poll through HTTP: budget validation, moderated
//! suggestions, votes with entry-vote uniqueness (also under concurrency), the
//! schedule, adoption of the prize, and the participants the CRM segments on.

use fanfare::platform::sandbox::seed::{ADMIN_SAM, FIRST_FAN};
use serde_json::{json, Value};

use crate::accounts::{admin_token, browser};
use crate::engage::{app, id, slug};
use crate::helpers::{count, TestApp};
use crate::support::{api, fan_logged_in, fan_page, installed, Installed};

pub(crate) async fn draft(app: &TestApp, inst: &Installed) -> Value {
    let (st, c) = api(
        app,
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
    c
}

fn in_a_day() -> String {
    (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()
}

async fn open_poll(app: &TestApp, inst: &Installed, cid: i64) -> Value {
    let (st, poll) = api(
        app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{cid}/poll"),
        Some(json!({"budget": 1000, "currency": "usd", "closes_at": in_a_day()})),
    )
    .await;
    assert_eq!(st, 201, "{poll}");
    poll
}

/// Posts a fan form as JSON-accepting client; returns status and body.
async fn post(
    app: &TestApp,
    b: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let r = b
        .post(app.url(path))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn suggest(
    app: &TestApp,
    b: &reqwest::Client,
    s: &str,
    title: &str,
    value: &str,
    url: &str,
) -> (u16, Value) {
    let csrf = fan_page(app, b, s).await;
    post(
        app,
        b,
        &format!("/c/{s}/poll/suggest"),
        &[
            ("csrf_token", csrf.as_str()),
            ("title", title),
            ("value", value),
            ("url", url),
        ],
    )
    .await
}

async fn vote(
    app: &TestApp,
    b: &reqwest::Client,
    s: &str,
    csrf: &str,
    suggestion: i64,
) -> (u16, Value) {
    post(
        app,
        b,
        &format!("/c/{s}/poll/vote/{suggestion}"),
        &[("csrf_token", csrf)],
    )
    .await
}

async fn moderate(app: &TestApp, inst: &Installed, suggestion: i64, body: Value) -> (u16, Value) {
    api(
        app,
        &inst.token,
        "POST",
        &format!("/api/v1/suggestions/{suggestion}/moderation"),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_prize_poll_checks_its_budget_moderates_suggestions_and_adopts_the_prize() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = draft(&app, &inst).await;
    let (s, cid) = (slug(&c), id(&c));
    let path = format!("/api/v1/contests/{cid}/poll");

    // Budget validation.
    for (body, code) in [
        (
            json!({"budget": 0, "currency": "USD", "closes_at": in_a_day()}),
            "invalid_budget",
        ),
        (
            json!({"budget": -5, "currency": "USD", "closes_at": in_a_day()}),
            "invalid_amount",
        ),
        (
            json!({"budget": "lots", "currency": "USD", "closes_at": in_a_day()}),
            "invalid_amount",
        ),
        (
            json!({"budget": "10.001", "currency": "USD", "closes_at": in_a_day()}),
            "invalid_amount",
        ),
        (
            json!({"budget": 2000000000, "currency": "USD", "closes_at": in_a_day()}),
            "invalid_budget",
        ),
        (
            json!({"budget": 1000, "currency": "dollars", "closes_at": in_a_day()}),
            "invalid_currency",
        ),
    ] {
        let (st, e) = api(&app, &inst.token, "POST", &path, Some(body.clone())).await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (422, Some(code)),
            "{body}"
        );
    }
    // A schedule in the past conflicts with the clock: 409, nothing stored.
    let past = json!({"budget": 1000, "currency": "USD", "closes_at": "2020-01-01T00:00:00Z"});
    let (st, e) = api(&app, &inst.token, "POST", &path, Some(past)).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("invalid_schedule"))
    );
    assert_eq!(app.query(|c| count(c, "prize_polls")).await, 0);
    let poll = open_poll(&app, &inst, cid).await;
    let poll_id = poll["id"].as_i64().unwrap();
    assert_eq!(
        (
            poll["budget"].as_str(),
            poll["budget_minor"].as_i64(),
            poll["open"].as_bool()
        ),
        (Some("1,000.00 USD"), Some(100_000), Some(true))
    );
    let (_, contest) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}"),
        None,
    )
    .await;
    assert_eq!(contest["status"], "prize_poll");
    let (st, e) = api(
        &app,
        &inst.token,
        "POST",
        &path,
        Some(json!({"budget": 5, "currency": "USD", "closes_at": in_a_day()})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("poll_exists"))
    );

    // The fan page invites suggestions; taking part needs a login.
    let anon = browser();
    let html = anon
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Help choose the prize") && html.contains("1,000.00 USD"));
    let (st, _) = suggest(&app, &anon, &s, "A bike", "100", "").await;
    assert_eq!(st, 401);

    let ana = fan_logged_in(&app, &(FIRST_FAN + 1).to_string(), &s).await;
    for (value, url, code) in [
        ("1000.01", "", "over_budget"),
        ("0", "", "invalid_amount"),
        ("12", "javascript:alert(1)", "invalid_url"),
    ] {
        let (st, e) = suggest(&app, &ana, &s, "Mountain bike", value, url).await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (422, Some(code)),
            "{value} {url}"
        );
    }
    let (st, a) = suggest(
        &app,
        &ana,
        &s,
        "Mountain bike",
        "1000",
        "https://shop.example/bike",
    )
    .await;
    assert_eq!(
        (st, a["suggestion"]["status"].as_str()),
        (201, Some("pending"))
    );
    let bike = a["suggestion"]["id"].as_i64().unwrap();
    let (st, e) = suggest(&app, &ana, &s, "Another idea", "10", "").await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("already_suggested"))
    );
    let ben = fan_logged_in(&app, &(FIRST_FAN + 2).to_string(), &s).await;
    let (_, b) = suggest(&app, &ben, &s, "Concert tickets", "300", "").await;
    let tickets = b["suggestion"]["id"].as_i64().unwrap();
    let cleo = fan_logged_in(&app, &(FIRST_FAN + 3).to_string(), &s).await;
    let (_, cl) = suggest(&app, &cleo, &s, "<script>alert(1)</script>", "5", "").await;
    let spam = cl["suggestion"]["id"].as_i64().unwrap();

    // Moderation: pending suggestions cannot be voted on or shown.
    let ben_csrf = fan_page(&app, &ben, &s).await;
    let (st, e) = vote(&app, &ben, &s, &ben_csrf, bike).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("suggestion_not_approved"))
    );
    assert_eq!(
        moderate(&app, &inst, bike, json!({"status": "approved"}))
            .await
            .0,
        200
    );
    assert_eq!(
        moderate(&app, &inst, tickets, json!({"status": "approved"}))
            .await
            .0,
        200
    );
    let (st, e) = moderate(&app, &inst, spam, json!({"status": "rejected"})).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("reason_required"))
    );
    assert_eq!(
        moderate(
            &app,
            &inst,
            spam,
            json!({"status": "rejected", "reason": "not a prize"})
        )
        .await
        .0,
        200
    );
    let html = ana
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Mountain bike") && html.contains("Concert tickets"));
    assert!(
        !html.contains("alert(1)"),
        "rejected suggestions are not shown"
    );
    let mine = crate::support::my_part(&app, &ana, &s).await;
    assert!(mine.contains("Your suggestion: <strong>Mountain bike</strong>"));

    // Votes: once per voter and suggestion.
    let (st, v) = vote(&app, &ben, &s, &ben_csrf, bike).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("counted")));
    let (_, v) = vote(&app, &ben, &s, &ben_csrf, bike).await;
    assert_eq!(v["status"], "already_voted");
    let r = ben
        .post(app.url(&format!("/c/{s}/poll/vote/{tickets}")))
        .form(&[("csrf_token", ben_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, shown) = api(&app, &inst.token, "GET", &path, None).await;
    let votes: Vec<(i64, i64)> = shown["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["id"].as_i64().unwrap(), x["votes"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        votes,
        [(bike, 1), (tickets, 1), (spam, 0)],
        "most voted first, then oldest"
    );

    // Adoption after the poll closes, of an approved suggestion only.
    let (st, e) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/polls/{poll_id}/adopt"),
        Some(json!({"suggestion_id": bike})),
    )
    .await;
    assert_eq!((st, e["error"]["code"].as_str()), (409, Some("poll_open")));
    let (st, closed) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/polls/{poll_id}/close"),
        None,
    )
    .await;
    assert_eq!((st, closed["open"].as_bool()), (200, Some(false)));
    let (st, e) = vote(&app, &ben, &s, &ben_csrf, tickets).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("poll_closed"))
    );
    let dora = fan_logged_in(&app, &(FIRST_FAN + 4).to_string(), &s).await;
    let (st, _) = suggest(&app, &dora, &s, "Late idea", "10", "").await;
    assert_eq!(st, 409);
    let (st, e) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/polls/{poll_id}/adopt"),
        Some(json!({"suggestion_id": spam})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("suggestion_not_approved"))
    );
    let (st, adopted) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/polls/{poll_id}/adopt"),
        Some(json!({"suggestion_id": bike})),
    )
    .await;
    assert_eq!(st, 200, "{adopted}");
    assert_eq!(
        adopted["contest"]["prize"],
        "Mountain bike (estimated value 1,000.00 USD)"
    );
    assert_eq!(adopted["adopted_suggestion_id"], bike);
    let html = ana
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Chosen prize"));

    // Participants are remembered for segmentation.
    let (_, people) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/polls/{poll_id}/participants"),
        None,
    )
    .await;
    let rows = people["data"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let ben_row = rows.iter().find(|r| r["votes"] == 2).unwrap();
    assert_eq!(ben_row["suggestions"], 1);
    let (sugg, votes) = app
        .query(|c| {
            (
                count(c, "activities WHERE kind = 'poll_suggestion'"),
                count(c, "activities WHERE kind = 'poll_vote'"),
            )
        })
        .await;
    assert_eq!((sugg, votes), (3, 2));
    let (_, audit) = api(&app, &inst.token, "GET", "/api/v1/audit", None).await;
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for a in [
        "poll.opened",
        "poll.suggestion_moderated",
        "poll.closed",
        "poll.adopted",
    ] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }

    // Another tenant reaches neither the poll nor its suggestions.
    let sam = admin_token(&app, ADMIN_SAM).await;
    crate::tenancy::assert_no_cross_tenant_access(&app, &sam, "poll", poll_id).await;
    crate::tenancy::assert_no_cross_tenant_access(&app, &sam, "suggestion", tickets).await;
}

#[tokio::test]
async fn poll_votes_count_once_under_concurrency_and_the_poll_closes_on_schedule() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = draft(&app, &inst).await;
    let (s, cid) = (slug(&c), id(&c));
    let (st, _) = api(
        &app,
        &inst.token,
        "PATCH",
        &format!("/api/v1/contests/{cid}"),
        Some(json!({"vote_limit": "daily"})),
    )
    .await;
    assert_eq!(st, 200);
    let poll = open_poll(&app, &inst, cid).await;
    let poll_id = poll["id"].as_i64().unwrap();
    let ana = fan_logged_in(&app, &(FIRST_FAN + 5).to_string(), &s).await;
    let (_, a) = suggest(&app, &ana, &s, "Festival passes", "800", "").await;
    let sid = a["suggestion"]["id"].as_i64().unwrap();
    moderate(&app, &inst, sid, json!({"status": "approved"})).await;

    let voter = fan_logged_in(&app, &(FIRST_FAN + 6).to_string(), &s).await;
    let csrf = fan_page(&app, &voter, &s).await;
    let results =
        futures::future::join_all((0..40).map(|_| vote(&app, &voter, &s, &csrf, sid))).await;
    assert!(results.iter().all(|(st, _)| *st == 200), "{results:?}");
    assert_eq!(
        results
            .iter()
            .filter(|(_, b)| b["status"] == "counted")
            .count(),
        1
    );
    assert_eq!(
        app.query(|c| count(c, "poll_votes")).await,
        1,
        "40 concurrent identical votes count once"
    );

    // Daily voting: a new day, a new vote.
    app.query(|c| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE poll_votes SET vote_period = '2020-01-01'")
            .execute(c)
            .unwrap()
    })
    .await;
    let (_, v) = vote(&app, &voter, &s, &csrf, sid).await;
    assert_eq!(v["status"], "counted");

    // The poll closes on its schedule, with no one closing it.
    app.query(move |c| {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "UPDATE prize_polls SET opens_at = now() - interval '2 days', closes_at = now() - interval '1 second' WHERE id = {poll_id}"
        ))
        .execute(c)
        .unwrap()
    })
    .await;
    let (st, e) = vote(&app, &voter, &s, &csrf, sid).await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("poll_closed"))
    );
    let html = voter
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("The poll has closed."));
    // A poll belongs before launch: a launched contest refuses a new one.
    let (_, launched) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{cid}/transition"),
        Some(json!({"to": "open"})),
    )
    .await;
    assert_eq!(launched["status"], "open");
    let other = draft(&app, &inst).await;
    let oid = id(&other);
    api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{oid}/transition"),
        Some(json!({"to": "open"})),
    )
    .await;
    let (st, e) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{oid}/poll"),
        Some(json!({"budget": 10, "currency": "EUR", "closes_at": in_a_day()})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("already_launched"))
    );
}
