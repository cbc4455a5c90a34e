//! Fan page rules over HTTP that only had unit tests: postal code, phone and
//! custom choice questions through the real form; the daily vote limit; the
//! `ip_burst` fraud signal; the `login` entry source; readable HTML pages for
//! ineligible, duplicate and too-large entries; the rules summary and privacy
//! note at the top of the fan page.

use serde_json::{json, Value};

use crate::accounts::browser;
use crate::crm::fan;
use crate::engage::{enter_as, id, slug};
use crate::helpers::{count, spawn_app_with, Spawn};
use crate::support::{api, enter, fan_logged_in, fan_page, installed, open_contest, vote, vote_as};

fn field_codes(body: &str) -> Vec<(String, String)> {
    let err: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("JSON: {body}"));
    err["error"]["details"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("field errors in {body}"))
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap_or_default().to_string(),
                f["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn postal_code_phone_and_choice_questions_are_checked_through_the_form() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true, "form_schema": {
            "fields": {"email": "required", "country": "optional", "postal_code": "required", "phone": "required"},
            "questions": [{"id": "size", "label": "Shirt size", "kind": "choice", "choices": ["S", "M", "L"], "visibility": "required"}]
        }}),
    )
    .await;
    let s = slug(&c);
    let b = browser();
    let csrf = fan_page(&app, &b, &s).await;
    let valid: Vec<(&str, &str)> = vec![
        ("email", "ada@fan.io"),
        ("country", "US"),
        ("postal_code", "94107"),
        ("phone", "+1 415 555 0100"),
        ("q_size", "M"),
        ("text", "my idea"),
        ("accept_rules", "on"),
    ];
    let with = |field: &'static str, value: &'static str| {
        valid
            .iter()
            .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
            .collect::<Vec<_>>()
    };
    for (field, bad, code) in [
        ("postal_code", "H2X 1Y4", "invalid_postal_code"),
        ("postal_code", "", "required"),
        ("phone", "12", "invalid_phone"),
        ("phone", "call me maybe", "invalid_phone"),
        ("q_size", "XXL", "invalid_choice"),
        ("q_size", "", "required"),
    ] {
        let (st, body) = enter(&app, &b, &s, &csrf, &with(field, bad), true).await;
        assert_eq!(st, 422, "{field}={bad}: {body}");
        assert_eq!(
            field_codes(&body),
            vec![(field.to_string(), code.to_string())],
            "{field}={bad}"
        );
        // The browser gets the form back with the message next to that field.
        let (st, html) = enter(&app, &b, &s, &csrf, &with(field, bad), false).await;
        assert_eq!(st, 422);
        assert!(
            html.contains(&format!("id=\"err-{field}\"")),
            "{field}={bad}: the error names the field"
        );
        assert!(html.contains("aria-invalid=\"true\""));
    }
    assert_eq!(
        app.query(|c| count(c, "entries")).await,
        0,
        "nothing stored"
    );
    assert_eq!(
        app.query(|c| count(c, "contacts")).await,
        0,
        "nothing stored"
    );
    // The valid form is stored, normalised.
    let (st, body) = enter(&app, &b, &s, &csrf, &valid, true).await;
    assert_eq!(st, 201, "{body}");
    assert_eq!(
        app.query(|c| count(
            c,
            "entries WHERE answers @> '[{\"id\": \"size\", \"answer\": \"M\"}]'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.query(|c| count(c, "contacts WHERE postal_code = '94107' AND country = 'US'"))
            .await,
        1
    );
}

#[tokio::test]
async fn daily_votes_count_once_a_day_per_entry() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true, "vote_limit": "daily"}),
    )
    .await;
    let s = slug(&c);
    let entry = enter_as(&app, &browser(), &s, "ana@fan.io", &[]).await;
    let voter = fan_logged_in(&app, &fan(7), &s).await;
    let csrf = fan_page(&app, &voter, &s).await;
    let (st, v) = vote(&app, &voter, &s, &csrf, entry).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("counted")), "{v}");
    let (_, v) = vote(&app, &voter, &s, &csrf, entry).await;
    assert_eq!(v["status"], "already_voted", "twice on one day counts once");
    assert_eq!(app.query(|c| count(c, "votes")).await, 1);
    // The next day (the stored vote moved to yesterday's period), it counts again.
    app.query(|c| {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "UPDATE votes SET vote_period = to_char(now() - interval '2 days', 'YYYY-MM-DD')",
        )
        .execute(c)
        .unwrap()
    })
    .await;
    let (st, v) = vote(&app, &voter, &s, &csrf, entry).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("counted")), "{v}");
    let (_, v) = vote(&app, &voter, &s, &csrf, entry).await;
    assert_eq!(v["status"], "already_voted");
    assert_eq!(app.query(|c| count(c, "votes")).await, 2);
    // A contest with the default (once) keeps refusing, whatever the day.
    let once = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let os = slug(&once);
    let e2 = enter_as(&app, &browser(), &os, "ben@fan.io", &[]).await;
    assert_eq!(vote_as(&app, &fan(8), &os, e2).await.1["status"], "counted");
    app.query(|c| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE votes SET created_at = now() - interval '2 days'")
            .execute(c)
            .unwrap()
    })
    .await;
    assert_eq!(
        vote_as(&app, &fan(8), &os, e2).await.1["status"],
        "already_voted"
    );
}

#[tokio::test]
async fn a_burst_of_votes_from_one_ip_is_flagged_for_the_admin() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let (s, cid) = (slug(&c), id(&c));
    let entry = enter_as(&app, &browser(), &s, "ana@fan.io", &[]).await;
    // Twelve voters, all from 127.0.0.1, within minutes.
    let threshold = fanfare::db::votes::BURST_THRESHOLD as u64;
    for v in 0..threshold + 2 {
        let (st, body) = vote_as(&app, &fan(10 + v), &s, entry).await;
        assert_eq!(
            (st, body["status"].as_str()),
            (200, Some("counted")),
            "{body}"
        );
    }
    let (st, votes) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}/votes"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{votes}");
    let list = votes["data"].as_array().unwrap();
    assert_eq!(list.len() as u64, threshold + 2);
    let burst = |v: &Value| {
        v["signals"]
            .as_array()
            .unwrap()
            .contains(&json!("ip_burst"))
    };
    let flagged = list.iter().filter(|v| burst(v)).count();
    assert!(
        flagged >= 2,
        "the votes past the threshold are flagged: {votes}"
    );
    let first = list
        .iter()
        .min_by_key(|v| v["id"].as_i64().unwrap())
        .unwrap();
    assert!(
        !burst(first),
        "the first vote from the IP is not a burst: {first}"
    );
    // The flagged filter returns them.
    let (_, only) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}/votes?flagged=true"),
        None,
    )
    .await;
    assert!(only["data"].as_array().unwrap().iter().all(|v| burst(v)
        || v["signals"]
            .as_array()
            .unwrap()
            .contains(&json!("new_identity"))));
}

#[tokio::test]
async fn entries_after_a_facebook_login_have_source_login() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let s = slug(&c);
    let b = fan_logged_in(&app, &fan(9), &s).await;
    enter_as(&app, &b, &s, "logged@fan.io", &[]).await;
    enter_as(&app, &browser(), &s, "form@fan.io", &[]).await;
    assert_eq!(
        app.query(|c| count(
            c,
            "entries e JOIN contacts k ON k.id = e.contact_id WHERE e.source = 'login' AND k.email = 'logged@fan.io'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.query(|c| count(
            c,
            "entries e JOIN contacts k ON k.id = e.contact_id WHERE e.source = 'form' AND k.email = 'form@fan.io'"
        ))
        .await,
        1
    );
    let (_, list) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{}/entries", id(&c)),
        None,
    )
    .await;
    let sources: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap_or("?"))
        .collect();
    assert!(
        sources.contains(&"login") && sources.contains(&"form"),
        "{list}"
    );
}

#[tokio::test]
async fn browsers_get_readable_pages_for_ineligible_duplicate_and_too_large_entries() {
    let app = spawn_app_with(Spawn::default(), |s| {
        s.uploads.max_bytes = 64 * 1024;
        s.limits.entries_per_ip_per_10m = 10_000;
    })
    .await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"auto_approve": true, "min_age": 18, "allowed_countries": ["US"],
               "form_schema": {"fields": {"email": "required", "birth_date": "optional", "country": "optional"}}}),
    )
    .await;
    let s = slug(&c);
    let b = browser();
    let csrf = fan_page(&app, &b, &s).await;
    let is_html = |html: &str| {
        html.contains("<html") || html.contains("<!DOCTYPE") || html.contains("<!doctype")
    };
    // Too young.
    let (st, html) = enter(
        &app,
        &b,
        &s,
        &csrf,
        &[
            ("email", "kid@fan.io"),
            ("birth_date", "2016-05-01"),
            ("text", "idea"),
            ("accept_rules", "on"),
        ],
        false,
    )
    .await;
    assert_eq!(st, 403);
    assert!(is_html(&html));
    assert!(html.contains("id=\"err-birth_date\""), "the field is named");
    assert!(
        html.contains("at least 18 years old"),
        "the reason in words: {html}"
    );
    // Country not allowed.
    let (st, html) = enter(
        &app,
        &b,
        &s,
        &csrf,
        &[
            ("email", "fr@fan.io"),
            ("country", "FR"),
            ("text", "idea"),
            ("accept_rules", "on"),
        ],
        false,
    )
    .await;
    assert_eq!(st, 403);
    assert!(is_html(&html), "{html}");
    assert!(
        html.contains("id=\"err-country\""),
        "the field is named: {html}"
    );
    assert_eq!(app.query(|c| count(c, "entries")).await, 0);
    // Duplicate.
    let ok = [
        ("email", "ana@fan.io"),
        ("text", "idea"),
        ("accept_rules", "on"),
    ];
    let (st, _) = enter(&app, &b, &s, &csrf, &ok, false).await;
    assert_eq!(st, 303, "entered, redirected to the page");
    let (st, html) = enter(&app, &b, &s, &csrf, &ok, false).await;
    assert_eq!(st, 409);
    assert!(is_html(&html));
    assert!(html.contains("you already entered this contest"), "{html}");
    // Too large.
    let other = browser();
    let csrf = fan_page(&app, &other, &s).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf)
        .text("email", "big@fan.io")
        .text("accept_rules", "on")
        .part(
            "image",
            reqwest::multipart::Part::bytes(vec![0u8; 64 * 1024 + 10])
                .file_name("big.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let r = other
        .post(app.url(&format!("/c/{s}/enter")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let html = r.text().await.unwrap();
    assert!(is_html(&html));
    assert!(
        html.contains("That is too large") && html.contains("images are limited to"),
        "{html}"
    );
    assert_eq!(app.query(|c| count(c, "entries")).await, 1);
}

#[tokio::test]
async fn the_fan_page_opens_with_the_rules_summary_and_the_privacy_note() {
    let app = crate::engage::app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"rules_text": "Open to residents of Atlantis aged 21 or over. One entry per person. Winners are drawn on 1 May."})).await;
    let s = slug(&c);
    let html = browser()
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} on the fan page"))
    };
    let rules = at("The rules, in short");
    let summary = at("Open to residents of Atlantis aged 21 or over");
    let privacy = at("Your data");
    let delete = at("You can ask for your data to be deleted at any time.");
    let form = at(&format!("action=\"/c/{s}/enter\""));
    assert!(html[rules..].contains(&format!("href=\"/c/{s}/rules\"")));
    assert!(html[privacy..].contains("href=\"/privacy\""));
    // At the top: before the entry form (and anything else the fan acts on).
    assert!(rules < summary && summary < privacy && privacy < delete && delete < form);
    let title = at("<h1>");
    assert!(
        title < rules,
        "only the title and prize come before the rules"
    );
}
