//! Referrals through HTTP: personal links, unique clicks, conversions credited
//! to the direct referrer only, self-referrals and loops rejected (also when two
//! contacts turn out to be one person), and shares that earn nothing.

use fanfare::platform::sandbox::seed::FIRST_FAN;
use serde_json::{json, Value};

use crate::accounts::browser;
use crate::engage::{
    app, assert_ledger_consistent, balance, click, code_of, contact_of_entry, enter_as, entrant,
    id, scalar, slug,
};
use crate::helpers::count;
use crate::support::{api, csrf_of, fan_logged_in, installed, open_contest};

fn rules() -> Value {
    json!({"auto_approve": true, "point_rules": {
        "entry": {"points": 10},
        "referral_conversion": {"points": 25}
    }})
}

#[tokio::test]
async fn links_count_unique_clicks_and_credit_only_the_direct_referrer() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, rules()).await;
    let (s, cid) = (slug(&c), id(&c));

    let (ana_browser, ana_entry) = entrant(&app, &s, "ana@fan.io", &[]).await;
    let ana = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    let code = app.query(move |c| code_of(c, ana)).await;
    // Ana's own part of the page shows her personal link.
    let page = crate::support::my_part(&app, &ana_browser, &s).await;
    assert!(page.contains(&format!("/r/{code}")), "invite link shown");

    // Unique clicks per visitor; the referrer's own clicks do not count.
    let ben_browser = browser();
    for _ in 0..3 {
        assert_eq!(click(&app, &ben_browser, &code).await, format!("/c/{s}"));
    }
    let cleo_browser = browser();
    click(&app, &cleo_browser, &code).await;
    click(&app, &ana_browser, &code).await;
    assert_eq!(
        app.query(|c| count(c, "referral_clicks")).await,
        2,
        "two visitors, however often they clicked"
    );
    assert_eq!(
        app.query(|c| count(c, "activities WHERE kind = 'referral_click'"))
            .await,
        2
    );
    // An unknown code is a plain 404.
    let r = ben_browser
        .get(app.url("/r/nosuchcode123"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Ben enters after clicking: a conversion for Ana.
    let ben_entry = enter_as(&app, &ben_browser, &s, "ben@fan.io", &[]).await;
    let ben = app.query(move |c| contact_of_entry(c, ben_entry)).await;
    assert_eq!(app.query(move |c| balance(c, cid, ana)).await, 35);
    let ben_code = app.query(move |c| code_of(c, ben)).await;

    // Cleo follows Ben's link last (last click wins): Ben is credited, not Ana.
    click(&app, &cleo_browser, &ben_code).await;
    enter_as(&app, &cleo_browser, &s, "cleo@fan.io", &[]).await;
    assert_eq!(
        app.query(move |c| balance(c, cid, ana)).await,
        35,
        "no credit for chains"
    );
    assert_eq!(app.query(move |c| balance(c, cid, ben)).await, 35);
    assert_eq!(
        app.query(|c| count(c, "referrals WHERE status = 'credited'"))
            .await,
        2
    );
    assert_eq!(
        app.query(|c| count(c, "activities WHERE kind = 'referral_conversion'"))
            .await,
        2
    );

    // A later entry by an already-referred person is not another conversion.
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
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "UPDATE entries SET entry_period = '2020-01-01' WHERE contact_id = {ben}"
        ))
        .execute(c)
        .unwrap()
    })
    .await;
    click(&app, &ben_browser, &code).await;
    enter_as(&app, &ben_browser, &s, "ben@fan.io", &[]).await;
    assert_eq!(app.query(move |c| balance(c, cid, ana)).await, 35);
    assert_eq!(app.query(|c| count(c, "referrals")).await, 2);

    // A forged attribution cookie is ignored.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = plain.get(app.url(&format!("/c/{s}"))).send().await.unwrap();
    let cookies: Vec<String> = r
        .cookies()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect();
    let csrf = csrf_of(&r.text().await.unwrap());
    let forged =
        format!("fanfare_ref={code}.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let r = plain
        .post(app.url(&format!("/c/{s}/enter")))
        .header("cookie", format!("{}; {forged}", cookies.join("; ")))
        .header("accept", "application/json")
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "dora@fan.io"),
            ("text", "x"),
            ("accept_rules", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(app.query(|c| count(c, "referrals")).await, 2);
    assert_eq!(app.query(move |c| balance(c, cid, ana)).await, 35);

    // The admin sees clicks and conversions per referrer.
    let (st, stats) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{cid}/referrals"),
        None,
    )
    .await;
    assert_eq!(st, 200);
    let ana_row = stats["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["contact_id"] == ana)
        .unwrap()
        .clone();
    assert_eq!(
        (ana_row["clicks"].as_i64(), ana_row["conversions"].as_i64()),
        (Some(2), Some(1))
    );
    app.query(assert_ledger_consistent).await;
}

/// Ana enters twice as two people (two emails, two browsers): Ana-2 entered
/// through Ana's link and Ana was credited. When one Facebook login links both
/// emails, the contacts merge and the conversion turns out to be a
/// self-referral: rejected, and its points taken back.
#[tokio::test]
async fn a_self_referral_is_rejected_and_its_points_taken_back() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, rules()).await;
    let (s, cid) = (slug(&c), id(&c));
    let other = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let third = open_contest(&app, &inst, json!({"auto_approve": true})).await;

    let (_, ana_entry) = entrant(&app, &s, "ana@fan.io", &[]).await;
    let ana = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    let code = app.query(move |c| code_of(c, ana)).await;
    let alt = browser();
    click(&app, &alt, &code).await;
    enter_as(&app, &alt, &s, "ana.alt@fan.io", &[]).await;
    assert_eq!(
        app.query(move |c| balance(c, cid, ana)).await,
        35,
        "credited while they look like two people"
    );

    // One Facebook account is seen with both emails: one person after all.
    let fb = (FIRST_FAN + 7).to_string();
    let first = fan_logged_in(&app, &fb, &slug(&other)).await;
    enter_as(&app, &first, &slug(&other), "ana@fan.io", &[]).await;
    let second = fan_logged_in(&app, &fb, &slug(&third)).await;
    enter_as(&app, &second, &slug(&third), "ana.alt@fan.io", &[]).await;
    assert_eq!(
        app.query(|c| count(c, "contacts WHERE email LIKE 'ana%'"))
            .await,
        1,
        "merged"
    );

    let status = app
        .query(|c| {
            count(
                c,
                "referrals WHERE status = 'rejected' AND reject_reason = 'self_referral' \
                 AND referrer_contact_id = referred_contact_id",
            )
        })
        .await;
    assert_eq!(status, 1);
    let net = app
        .query(move |c| {
            scalar(
                c,
                &format!(
                    "SELECT COALESCE(sum(points), 0) AS n FROM point_awards WHERE contest_id = {cid} \
                     AND (reason = 'referral_conversion' OR source_key LIKE 'reversal:referral:%')"
                ),
            )
        })
        .await;
    assert_eq!(net, 0, "the conversion's points were taken back");
    // One person, one entry: the merged duplicate entry is disqualified by the
    // entries' own merge rule and gives back its entry points too.
    let survivor = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    assert_eq!(app.query(move |c| balance(c, cid, survivor)).await, 10);
    app.query(assert_ledger_consistent).await;
}

/// Ana referred Ben; Ben's link later brought in "Ana-3", who turns out to be
/// Ana: a loop. Ana keeps her credit for Ben; Ben's credit for Ana is rejected.
#[tokio::test]
async fn a_referral_loop_is_rejected_and_only_the_direct_referrer_keeps_credit() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, rules()).await;
    let (s, cid) = (slug(&c), id(&c));
    let other = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let third = open_contest(&app, &inst, json!({"auto_approve": true})).await;

    let (_, ana_entry) = entrant(&app, &s, "ana@fan.io", &[]).await;
    let ana = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    let ana_code = app.query(move |c| code_of(c, ana)).await;
    let ben_browser = browser();
    click(&app, &ben_browser, &ana_code).await;
    let ben_entry = enter_as(&app, &ben_browser, &s, "ben@fan.io", &[]).await;
    let ben = app.query(move |c| contact_of_entry(c, ben_entry)).await;
    let ben_code = app.query(move |c| code_of(c, ben)).await;
    let alt = browser();
    click(&app, &alt, &ben_code).await;
    enter_as(&app, &alt, &s, "ana.three@fan.io", &[]).await;
    assert_eq!(app.query(move |c| balance(c, cid, ben)).await, 35);

    let fb = (FIRST_FAN + 8).to_string();
    let first = fan_logged_in(&app, &fb, &slug(&other)).await;
    enter_as(&app, &first, &slug(&other), "ana@fan.io", &[]).await;
    let second = fan_logged_in(&app, &fb, &slug(&third)).await;
    enter_as(&app, &second, &slug(&third), "ana.three@fan.io", &[]).await;

    let (loops, credited_ana) = app
        .query(move |c| {
            (
                count(
                    c,
                    "referrals WHERE status = 'rejected' AND reject_reason = 'loop'",
                ),
                count(
                    c,
                    &format!(
                        "referrals WHERE status = 'credited' AND referrer_contact_id = {ana} \
                         AND referred_contact_id = {ben}"
                    ),
                ),
            )
        })
        .await;
    assert_eq!((loops, credited_ana), (1, 1));
    assert_eq!(
        app.query(move |c| balance(c, cid, ben)).await,
        10,
        "Ben's credit for the loop was taken back"
    );
    // Entry (10) and the credit for Ben (25); the duplicate entry "Ana-3" was
    // disqualified in the merge and gave its entry points back.
    assert_eq!(app.query(move |c| balance(c, cid, ana)).await, 35);
    app.query(assert_ledger_consistent).await;
}

#[tokio::test]
async fn shares_are_recorded_for_reach_and_earn_nothing() {
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, rules()).await;
    let (s, cid) = (slug(&c), id(&c));
    let (b, entry) = entrant(&app, &s, "ana@fan.io", &[]).await;
    let ana = app.query(move |c| contact_of_entry(c, entry)).await;
    let code = app.query(move |c| code_of(c, ana)).await;
    let html = b
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("action=\"/c/{s}/share\"")));
    assert!(html.contains("name=\"channel\" value=\"dialog\""));
    assert!(html.contains("never earns entries"));
    let csrf = csrf_of(&html);

    // Without JavaScript: the share button goes through us to Facebook's dialog,
    // sharing the fan's own invite link.
    let r = b
        .post(app.url(&format!("/c/{s}/share")))
        .form(&[("csrf_token", csrf.as_str()), ("channel", "dialog")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("https://www.facebook.com/sharer/sharer.php?u="),
        "{location}"
    );
    assert!(location.contains(&format!("%2Fr%2F{code}")), "{location}");
    let r = b
        .post(app.url(&format!("/c/{s}/share")))
        .form(&[("csrf_token", csrf.as_str()), ("channel", "copy")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/c/{s}?copy=1#ref-link")
    );
    // JSON (what app.js sends after copying): recorded once per day, no points.
    let r = b
        .post(app.url(&format!("/c/{s}/share")))
        .header("accept", "application/json")
        .form(&[("csrf_token", csrf.as_str()), ("channel", "copy")])
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"recorded": false, "channel": "copy", "points": 0})
    );
    for (form, status) in [
        (
            vec![("csrf_token", csrf.as_str()), ("channel", "wall")],
            422,
        ),
        (vec![("channel", "dialog")], 403),
    ] {
        let r = b
            .post(app.url(&format!("/c/{s}/share")))
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{form:?}");
    }
    let (shares, awards) = app
        .query(move |c| {
            (
                count(
                    c,
                    &format!("activities WHERE kind = 'share' AND contact_id = {ana}"),
                ),
                count(c, "point_awards WHERE reason <> 'entry'"),
            )
        })
        .await;
    assert_eq!(
        (shares, awards),
        (2, 0),
        "shares are counted, never rewarded"
    );
    assert_eq!(app.query(move |c| balance(c, cid, ana)).await, 10);
}

/// A data deletion request reaches engagement data too: the person's invite
/// codes go, their clicks no longer name their browser, admins' notes about
/// them and their prize suggestions are blanked, and every balance still equals
/// its ledger.
#[tokio::test]
async fn erasure_reaches_codes_clicks_notes_and_suggestions() {
    use fanfare::platform::facebook::signed_request::sign;
    let app = app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, rules()).await;
    let (s, cid) = (slug(&c), id(&c));
    let fb = FIRST_FAN + 9;
    let ana_b = fan_logged_in(&app, &fb.to_string(), &s).await;
    let ana_entry = enter_as(&app, &ana_b, &s, "erin@fan.io", &[]).await;
    let ana = app.query(move |c| contact_of_entry(c, ana_entry)).await;
    let (_, ben_entry) = entrant(&app, &s, "ben@fan.io", &[]).await;
    let ben = app.query(move |c| contact_of_entry(c, ben_entry)).await;
    let ben_code = app.query(move |c| code_of(c, ben)).await;
    click(&app, &ana_b, &ben_code).await;
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{cid}/points"),
        Some(json!({"contact_id": ana, "points": 5, "note": "Erin's lovely photo"})),
    )
    .await;
    assert_eq!(st, 201);
    // A prize poll on another contest, with Erin's suggestion.
    let (_, draft) = api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/contests",
        Some(json!({"page_id": inst.page_id, "kind": "ugc", "title": "Next"})),
    )
    .await;
    let (ds, did) = (slug(&draft), id(&draft));
    let closes = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{did}/poll"),
        Some(json!({"budget": 100, "currency": "EUR", "closes_at": closes})),
    )
    .await;
    assert_eq!(st, 201);
    let page = ana_b
        .get(app.url(&format!("/c/{ds}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = ana_b
        .post(app.url(&format!("/c/{ds}/poll/suggest")))
        .header("accept", "application/json")
        .form(&[
            ("csrf_token", csrf_of(&page).as_str()),
            ("title", "Erin's dream bike"),
            ("value", "99"),
            ("url", "https://erin.example/wishlist"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let sr = sign(
        &json!({"algorithm": "HMAC-SHA256", "issued_at": chrono::Utc::now().timestamp(), "user_id": fb.to_string()}),
        app.app_secret().as_bytes(),
    );
    let r = app
        .client
        .post(app.url("/facebook/data-deletion"))
        .form(&[("signed_request", sr.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.eventually("deletion completed", |c| {
        count(c, "deletion_requests WHERE status = 'completed'") == 1
    })
    .await;
    let leaks = app
        .query(move |c| {
            count(c, &format!("referral_codes WHERE contact_id = {ana}"))
                + count(c, "point_awards WHERE note LIKE '%Erin%'")
                + count(
                    c,
                    "poll_suggestions WHERE title LIKE '%Erin%' OR url IS NOT NULL OR status <> 'rejected'",
                )
                + count(
                    c,
                    "referral_clicks WHERE visitor_id IS NOT NULL AND visitor_id NOT IN (SELECT id FROM visitors)",
                )
        })
        .await;
    assert_eq!(leaks, 0, "no trace of the person remains");
    assert_eq!(
        app.query(|c| count(c, "referral_clicks WHERE visitor_id IS NULL"))
            .await,
        1,
        "Erin's click still counts for Ben, anonymously"
    );
    app.query(assert_ledger_consistent).await;
}
