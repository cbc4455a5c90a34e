//! The fan page, entering and voting, through HTTP like a browser (no JavaScript).

use fanfare::platform::facebook::signed_request::sign;
use fanfare::platform::sandbox::seed::{ADMIN_SAM, BRAND_PAGE, FIRST_FAN};
use serde_json::{json, Value};

use crate::accounts::{admin_token, browser};
use crate::helpers::{count, spawn_app, spawn_app_with, Spawn};
use crate::support::{
    api, csrf_of, enter, entry_id, fan_logged_in, fan_page, installed, open_contest,
};

fn slug(c: &Value) -> String {
    c["slug"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_fan_enters_with_the_form_and_sees_their_status_with_consents_recorded() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"form_schema": {
        "fields": {"name": "required", "email": "required", "postal_code": "optional", "country": "optional"},
        "marketing": {"text": "Send me news from Threadline", "version": "m-1"}
    }})).await;
    let b = browser();
    let r = b
        .get(app.url(&format!("/c/{}", slug(&c))))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("Design your own shirt"));
    assert!(html.contains("(optional)"), "optional fields are marked");
    // The two ways in read as a choice: Facebook first, the form for everyone else.
    assert!(html.contains(">Continue with Facebook</a>"));
    assert!(html.contains("No Facebook? Fill in the form below"));
    assert!(!html.contains("just fill in the form"));
    assert!(
        !html.contains("name=\"marketing_opt_in\" value=\"on\" checked"),
        "marketing is unticked by default"
    );
    let csrf = csrf_of(&html);
    let (status, _) = enter(
        &app,
        &b,
        &slug(&c),
        &csrf,
        &[
            ("name", "Ana Lima"),
            ("email", "Ana@Example.com"),
            ("postal_code", "94107"),
            ("country", "US"),
            ("text", "A shirt with a skyline"),
            ("accept_rules", "on"),
        ],
        false,
    )
    .await;
    assert_eq!(status, 303);
    let page = b
        .get(app.url(&format!("/c/{}?entered=1", slug(&c))))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your entry is in"), "a clear confirmation");
    assert!(
        page.contains(&format!("hx-post=\"/c/{}/me\"", slug(&c))),
        "the page loads the fan's own part"
    );
    let mine = crate::support::my_part(&app, &b, &slug(&c)).await;
    assert!(mine.contains("waiting for review"), "the fan's own status");
    let (entries, rules_consent, marketing) = app
        .query(|c| (
            count(c, "entries WHERE status = 'pending' AND source = 'form' AND text = 'A shirt with a skyline'"),
            count(c, "consents WHERE kind = 'rules' AND granted AND text_version <> ''"),
            count(c, "consents WHERE kind = 'marketing' AND NOT granted AND text_version = 'm-1'"),
        ))
        .await;
    assert_eq!((entries, rules_consent, marketing), (1, 1, 1));
    let email = app.query(|c| count(c, "contacts WHERE email = 'ana@example.com' AND postal_code = '94107' AND first_source = 'fan_page'")).await;
    assert_eq!(email, 1);
    // The page view before entering is now part of the contact's timeline.
    assert_eq!(
        app.query(|c| count(
            c,
            "activities WHERE kind = 'page_view' AND contact_id IS NOT NULL"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn every_entry_rule_refuses_with_a_clear_error_and_stores_nothing() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({
        "min_age": 18, "allowed_countries": ["US", "CA"],
        "form_schema": {"fields": {"name": "optional", "email": "required", "birth_date": "optional", "country": "optional", "phone": "hidden"}}
    })).await;
    let s = slug(&c);
    let b = browser();
    let csrf = fan_page(&app, &b, &s).await;
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("email", ""), ("accept_rules", "on")], 422, "required"),
        (
            vec![("email", "not-an-email"), ("accept_rules", "on")],
            422,
            "invalid_email",
        ),
        (vec![("email", "a@b.co")], 422, "rules_not_accepted"),
        (
            vec![
                ("email", "a@b.co"),
                ("birth_date", "2015-01-01"),
                ("accept_rules", "on"),
            ],
            403,
            "too_young",
        ),
        (
            vec![
                ("email", "a@b.co"),
                ("country", "FR"),
                ("accept_rules", "on"),
            ],
            403,
            "country_not_allowed",
        ),
        (
            vec![("email", "a@b.co"), ("accept_rules", "on")],
            422,
            "required",
        ),
    ];
    for (fields, status, code) in cases {
        let (st, body) = enter(&app, &b, &s, &csrf, &fields, true).await;
        let err: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(st, status, "{fields:?} {body}");
        let codes: Vec<&str> = err["error"]["details"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&code), "{fields:?}: {codes:?}");
    }
    // HTML: the form comes back with the problem next to the field.
    let (st, html) = enter(
        &app,
        &b,
        &s,
        &csrf,
        &[
            ("email", "nope"),
            ("accept_rules", "on"),
            ("text", "my idea"),
        ],
        false,
    )
    .await;
    assert_eq!(st, 422);
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(
        html.contains("value=\"nope\""),
        "what the fan typed is kept"
    );
    // No CSRF token: refused.
    let r = b
        .post(app.url(&format!("/c/{s}/enter")))
        .form(&[("email", "a@b.co"), ("accept_rules", "on")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.query(|c| count(c, "entries")).await, 0);
    // A hidden field sent anyway is ignored.
    let (st, _) = enter(
        &app,
        &b,
        &s,
        &csrf,
        &[
            ("email", "a@b.co"),
            ("phone", "+1 555 0100"),
            ("text", "idea"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    assert_eq!(st, 201);
    assert_eq!(
        app.query(|c| count(c, "contacts WHERE email = 'a@b.co'"))
            .await,
        1
    );
    assert_eq!(
        app.query(|c| count(c, "entries WHERE answers::text LIKE '%555%'"))
            .await,
        0
    );
}

#[tokio::test]
async fn one_entry_per_person_even_under_concurrent_submits_and_daily_limits_reset_by_day() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"form_schema": {"fields": {"email": "required"}}}),
    )
    .await;
    let s = slug(&c);
    let b = browser();
    let csrf = fan_page(&app, &b, &s).await;
    let submits = (0..20).map(|_| {
        enter(
            &app,
            &b,
            &s,
            &csrf,
            &[
                ("email", "same@fan.io"),
                ("text", "x"),
                ("accept_rules", "on"),
            ],
            true,
        )
    });
    let results = futures::future::join_all(submits).await;
    let created = results.iter().filter(|(st, _)| *st == 201).count();
    let dupes: Vec<&(u16, String)> = results.iter().filter(|(st, _)| *st == 409).collect();
    assert_eq!(created, 1);
    assert_eq!(dupes.len(), 19);
    assert!(dupes[0].1.contains("duplicate_entry"));
    assert_eq!(app.query(|c| count(c, "entries")).await, 1);

    // Daily: a second entry is refused today, accepted on another day.
    let d = open_contest(
        &app,
        &inst,
        json!({"entry_limit": "daily", "form_schema": {"fields": {"email": "required"}}}),
    )
    .await;
    let (st, _) = enter(
        &app,
        &b,
        &slug(&d),
        &csrf,
        &[
            ("email", "same@fan.io"),
            ("text", "x"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    assert_eq!(st, 201);
    let (st, body) = enter(
        &app,
        &b,
        &slug(&d),
        &csrf,
        &[
            ("email", "same@fan.io"),
            ("text", "y"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    assert_eq!(st, 409);
    assert!(body.contains("today"));
    let id = d["id"].as_i64().unwrap();
    app.query(move |c| {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "UPDATE entries SET entry_period = '2020-01-01' WHERE contest_id = {id}"
        ))
        .execute(c)
        .unwrap()
    })
    .await;
    let (st, _) = enter(
        &app,
        &b,
        &slug(&d),
        &csrf,
        &[
            ("email", "same@fan.io"),
            ("text", "y"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    assert_eq!(st, 201);
}

#[tokio::test]
async fn closed_and_not_yet_open_contests_refuse_entries() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({})).await;
    let s = slug(&c);
    let b = browser();
    let csrf = fan_page(&app, &b, &s).await;
    let id = c["id"].as_i64().unwrap();
    api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{id}/transition"),
        Some(json!({"to": "closed"})),
    )
    .await;
    let (st, body) = enter(
        &app,
        &b,
        &s,
        &csrf,
        &[("email", "a@b.co"), ("text", "x"), ("accept_rules", "on")],
        true,
    )
    .await;
    assert_eq!(st, 409);
    assert!(body.contains("contest_not_open") && body.contains("closed"));
    let (st, html) = enter(
        &app,
        &b,
        &s,
        &csrf,
        &[("email", "a@b.co"), ("text", "x"), ("accept_rules", "on")],
        false,
    )
    .await;
    assert_eq!(st, 409);
    assert!(html.contains("has closed"));
    // Scheduled in the future: the server enforces it.
    let (_, f) = api(&app, &inst.token, "POST", "/api/v1/contests", Some(json!({
        "page_id": inst.page_id, "kind": "ugc", "title": "Later", "rules_text": "R", "opens_at": "2099-01-01T00:00:00Z"
    }))).await;
    let fid = f["id"].as_i64().unwrap();
    api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{fid}/transition"),
        Some(json!({"to": "scheduled"})),
    )
    .await;
    let (st, body) = enter(
        &app,
        &b,
        &slug(&f),
        &csrf,
        &[("email", "a@b.co"), ("text", "x"), ("accept_rules", "on")],
        true,
    )
    .await;
    assert_eq!((st, body.contains("not open for entries yet")), (409, true));
}

#[tokio::test]
async fn entries_with_images_are_checked_stored_and_served_safely() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let s = slug(&c);
    let b = browser();
    let csrf = fan_page(&app, &b, &s).await;
    let png = {
        let img = image::RgbImage::from_pixel(32, 32, image::Rgb([200, 30, 30]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let form = |bytes: Vec<u8>, name: &'static str| {
        reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .text("email", "pic@fan.io")
            .text("accept_rules", "on")
            .part(
                "image",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(name)
                    .mime_str("image/png")
                    .unwrap(),
            )
    };
    // Not an image, whatever it claims.
    let r = b
        .post(app.url(&format!("/c/{s}/enter")))
        .header("accept", "application/json")
        .multipart(form(b"<svg onload=alert(1)>".to_vec(), "x.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // Too large.
    let big = vec![0u8; app.settings.uploads.max_bytes + 10];
    let r = b
        .post(app.url(&format!("/c/{s}/enter")))
        .header("accept", "application/json")
        .multipart(form(big, "big.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "payload_too_large");
    assert_eq!(app.query(|c| count(c, "entries")).await, 0);
    // A real PNG, with no text: the image is the entry.
    let r = b
        .post(app.url(&format!("/c/{s}/enter")))
        .header("accept", "application/json")
        .multipart(form(png, "../../etc/passwd.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let entry: Value = r.json().await.unwrap();
    let name = entry["entry"]["image_name"].as_str().unwrap().to_string();
    assert!(
        name.len() == 68 && name.ends_with(".png"),
        "content-hash name: {name}"
    );
    let r = app.get(&format!("/uploads/{name}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let page = b
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("/uploads/{name}")),
        "auto-approved entries show in the gallery"
    );
}

#[tokio::test]
async fn the_fan_page_escapes_hostile_names_and_entry_texts() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({
            "auto_approve": true,
            "title": "<script>alert('title')</script>",
            "description": "\"><img src=x onerror=alert(1)>",
            "form_schema": {"fields": {"name": "required", "email": "required"}}
        }),
    )
    .await;
    let s = slug(&c);
    let b = browser();
    let csrf = fan_page(&app, &b, &s).await;
    let (st, _) = enter(
        &app,
        &b,
        &s,
        &csrf,
        &[
            ("name", "<b onmouseover=alert(2)>Eve</b>"),
            ("email", "eve@x.io"),
            (
                "text",
                "<script>alert(3)</script> & </textarea><svg onload=alert(4)>",
            ),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    assert_eq!(st, 201);
    let html = b
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for raw in [
        "<script>alert",
        "<img src=x",
        "<b onmouseover",
        "<svg onload",
        "</textarea><svg",
    ] {
        assert!(!html.contains(raw), "{raw} rendered unescaped");
    }
    // Shown, as text (askama escapes `<` as `&#60;`).
    assert!(
        html.contains("&#60;script&#62;alert(&#39;title&#39;)&#60;/script&#62;"),
        "{html}"
    );
    assert!(html.contains("&#60;b onmouseover=alert(2)&#62;Eve&#60;/b&#62;"));
}

#[tokio::test]
async fn the_tab_takes_a_signed_request_records_liked_as_a_signal_and_never_gates() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(
        &app,
        &inst,
        json!({"form_schema": {"fields": {"email": "required", "country": "optional"}}}),
    )
    .await;
    let now = chrono::Utc::now().timestamp();
    let fan = (FIRST_FAN + 21).to_string();
    let sr = sign(
        &json!({
            "algorithm": "HMAC-SHA256", "issued_at": now, "user_id": fan,
            "user": {"country": "se", "locale": "sv_SE", "age": {"min": 21}},
            "page": {"id": BRAND_PAGE, "liked": false, "admin": false}
        }),
        app.app_secret().as_bytes(),
    );
    let b = browser();
    let r = b
        .post(app.url("/tab"))
        .form(&[("signed_request", sr.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Design your own shirt"),
        "the page's open contest"
    );
    assert!(
        html.contains("name=\"signed_request\""),
        "carried to the form for prefill"
    );
    assert!(html.contains("value=\"SE\""), "country prefilled");
    assert!(
        html.contains("Enter</button>"),
        "not liking the page never hides the form"
    );
    let liked = app
        .query(|c| {
            count(
                c,
                "activities WHERE kind = 'page_view' AND details->>'liked' = 'false'",
            )
        })
        .await;
    assert_eq!(liked, 1);
    let linked = app
        .query(move |c| {
            count(
                c,
                &format!("contact_identities WHERE kind = 'asid' AND value = '{fan}'"),
            )
        })
        .await;
    assert_eq!(linked, 1, "an authorised signed_request names the fan");
    // The entry carries the signed_request: the fan is linked by app-scoped id.
    let csrf = csrf_of(&html);
    let (st, _) = enter(
        &app,
        &b,
        &slug(&c),
        &csrf,
        &[
            ("signed_request", sr.as_str()),
            ("email", "se@fan.io"),
            ("text", "idea"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    assert_eq!(st, 201);
    assert_eq!(
        app.query(|c| count(c, "contacts WHERE email = 'se@fan.io' AND country = 'SE'"))
            .await,
        1
    );
    // Forged: refused.
    let forged = sign(
        &json!({"algorithm": "HMAC-SHA256", "issued_at": now, "page": {"id": BRAND_PAGE}}),
        b"wrong",
    );
    let r = b
        .post(app.url("/tab"))
        .form(&[("signed_request", forged.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // GET /tab?page_id= for links from the page.
    let r = b
        .get(app.url(&format!("/tab?page_id={BRAND_PAGE}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = b.get(app.url("/tab?page_id=424242")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn moderation_states_reasons_bulk_actions_and_audit() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({})).await;
    let (s, id) = (slug(&c), c["id"].as_i64().unwrap());
    let b = browser();
    let csrf = fan_page(&app, &b, &s).await;
    for i in 0..3 {
        let email = format!("m{i}@fan.io");
        let (st, _) = enter(
            &app,
            &b,
            &s,
            &csrf,
            &[
                ("email", email.as_str()),
                ("text", "idea"),
                ("accept_rules", "on"),
            ],
            true,
        )
        .await;
        assert_eq!(st, 201);
    }
    let (_, pending) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{id}/entries?status=pending"),
        None,
    )
    .await;
    let ids: Vec<i64> = pending["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    let (st, e) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/entries/{}/moderation", ids[0]),
        Some(json!({"status": "rejected"})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (422, Some("reason_required"))
    );
    let (st, e) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/entries/{}/moderation", ids[0]),
        Some(json!({"status": "rejected", "reason": "Off-topic"})),
    )
    .await;
    assert_eq!(
        (st, e["status"].as_str(), e["status_reason"].as_str()),
        (200, Some("rejected"), Some("Off-topic"))
    );
    assert!(e["moderated_by"].is_i64());
    let (st, bulk) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{id}/entries/moderation"),
        Some(json!({"status": "approved", "entry_ids": [ids[1], ids[2]]})),
    )
    .await;
    assert_eq!((st, bulk["data"].as_array().unwrap().len()), (200, 2));
    let (_, audit) = api(&app, &inst.token, "GET", "/api/v1/audit", None).await;
    assert_eq!(
        audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "entry.moderated")
            .count(),
        3
    );
    // Another tenant cannot see or moderate them.
    let sam = admin_token(&app, ADMIN_SAM).await;
    crate::tenancy::assert_no_cross_tenant_access(&app, &sam, "entry", ids[1]).await;
}

#[tokio::test]
async fn voting_needs_a_fan_login_counts_once_and_records_fraud_signals() {
    let app = spawn_app_with(Spawn::default(), |s| s.limits.votes_per_ip_per_10m = 1000).await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let (s, id) = (slug(&c), c["id"].as_i64().unwrap());
    let author = browser();
    let csrf = fan_page(&app, &author, &s).await;
    let (_, body) = enter(
        &app,
        &author,
        &s,
        &csrf,
        &[
            ("email", "author@fan.io"),
            ("text", "idea"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    let entry_id = entry_id(&body);

    // Anonymous: asked to log in.
    let r = author
        .post(app.url(&format!("/c/{s}/vote/{entry_id}")))
        .header("accept", "application/json")
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = author
        .post(app.url(&format!("/c/{s}/vote/{entry_id}")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("Log in with Facebook"));

    let voter = fan_logged_in(&app, &(FIRST_FAN + 30).to_string(), &s).await;
    let vcsrf = fan_page(&app, &voter, &s).await;
    let vote = |v: &reqwest::Client, token: String| {
        let req = v
            .post(app.url(&format!("/c/{s}/vote/{entry_id}")))
            .header("accept", "application/json")
            .form(&[("csrf_token", token)]);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let results = futures::future::join_all((0..50).map(|_| vote(&voter, vcsrf.clone()))).await;
    assert!(results.iter().all(|(st, _)| *st == 200));
    assert_eq!(
        results
            .iter()
            .filter(|(_, b)| b["status"] == "counted")
            .count(),
        1
    );
    assert_eq!(
        app.query(|c| count(c, "votes")).await,
        1,
        "50 concurrent identical votes count once"
    );
    // HTML voting gives feedback.
    let r = voter
        .post(app.url(&format!("/c/{s}/vote/{entry_id}")))
        .form(&[("csrf_token", vcsrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("already_voted"));
    let page = voter
        .get(app.url(&format!("/c/{s}?voted=1")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your vote was counted"));
    let mine = crate::support::my_part(&app, &voter, &s).await;
    assert!(mine.contains("You voted for") && mine.contains(&format!("#entry-{entry_id}")));
    // Loaded by the page (htmx), the part marks the entry's own vote slot.
    let fragment = voter
        .get(app.url(&format!("/c/{s}/me")))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fragment.contains(&format!(
        "<div id=\"vote-slot-{entry_id}\" hx-swap-oob=\"true\"><p class=\"small\"><span class=\"badge badge-approved\">You voted</span>"
    )));
    assert!(page.contains(&format!("<div id=\"vote-slot-{entry_id}\">")));

    // Fraud signals are visible to the admin; a void keeps an audit trail.
    let (_, votes) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/contests/{id}/votes"),
        None,
    )
    .await;
    let v = &votes["data"][0];
    assert!(v["ip"].is_string() && v["user_agent_hash"].is_string());
    assert!(v["signals"]
        .as_array()
        .unwrap()
        .contains(&json!("new_identity")));
    let vote_id = v["id"].as_i64().unwrap();
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/votes/{vote_id}/void"),
        Some(json!({"reason": "Same household"})),
    )
    .await;
    assert_eq!(st, 200);
    let page = voter
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("0 votes"), "voided votes do not count");
    let (_, audit) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/audit?subject_type=vote&subject_id={vote_id}"),
        None,
    )
    .await;
    assert_eq!(audit["data"][0]["details"]["reason"], "Same household");
    let sam = admin_token(&app, ADMIN_SAM).await;
    crate::tenancy::assert_no_cross_tenant_access(&app, &sam, "vote", vote_id).await;

    // Votes only for approved entries and only while open.
    api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/entries/{entry_id}/moderation"),
        Some(json!({"status": "rejected", "reason": "x"})),
    )
    .await;
    let (st, b) = vote(&voter, vcsrf.clone()).await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (409, Some("entry_not_approved"))
    );
    api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/entries/{entry_id}/moderation"),
        Some(json!({"status": "approved"})),
    )
    .await;
    api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{id}/transition"),
        Some(json!({"to": "closed"})),
    )
    .await;
    let (st, b) = vote(&voter, vcsrf).await;
    assert_eq!(
        (st, b["error"]["code"].as_str()),
        (409, Some("contest_not_open"))
    );
}

#[tokio::test]
async fn entering_and_voting_are_rate_limited_per_ip() {
    let app = spawn_app_with(Spawn::default(), |s| {
        s.limits.entries_per_ip_per_10m = 2;
        s.limits.votes_per_ip_per_10m = 1;
    })
    .await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let s = slug(&c);
    let b = browser();
    let csrf = fan_page(&app, &b, &s).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let email = format!("r{i}@fan.io");
        statuses.push(
            enter(
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
            .await
            .0,
        );
    }
    assert_eq!(statuses, vec![201, 201, 429]);
}

#[tokio::test]
async fn a_fan_without_facebook_votes_after_confirming_an_email_once() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let c = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let s = slug(&c);
    let author = browser();
    let csrf = fan_page(&app, &author, &s).await;
    let (_, body) = enter(
        &app,
        &author,
        &s,
        &csrf,
        &[
            ("email", "author@fan.io"),
            ("text", "idea"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    let entry_id = entry_id(&body);

    let voter = browser();
    let vcsrf = fan_page(&app, &voter, &s).await;
    let page = voter
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Vote without Facebook"));
    let r = voter
        .post(app.url(&format!("/c/{s}/verify-email")))
        .form(&[("csrf_token", vcsrf.as_str()), ("email", "not-an-email")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = voter
        .post(app.url(&format!("/c/{s}/verify-email")))
        .form(&[("csrf_token", vcsrf.as_str()), ("email", "Voter@Fan.io")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Check your inbox"));
    app.eventually(
        "the confirmation email was delivered to the sandbox mailbox",
        |c| {
            count(
                c,
                "email_outbox WHERE delivered_via = 'sandbox' AND to_address = 'voter@fan.io'",
            ) == 1
        },
    )
    .await;
    let mail: Value = app
        .client
        .get(app.url("/sandbox/mailbox"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body = mail["data"][0]["body"].as_str().unwrap();
    let link = body
        .lines()
        .find(|l| l.contains("/confirm?token="))
        .unwrap()
        .trim()
        .to_string();
    let r = voter.get(&link).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("?confirmed=1"));
    // The link works once.
    assert_eq!(browser().get(&link).send().await.unwrap().status(), 422);
    let vcsrf = fan_page(&app, &voter, &s).await;
    let r = voter
        .post(app.url(&format!("/c/{s}/vote/{entry_id}")))
        .header("accept", "application/json")
        .form(&[("csrf_token", vcsrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "counted");
    assert_eq!(
        app.query(|c| count(
            c,
            "votes v JOIN contacts c ON c.id = v.voter_contact_id WHERE c.email = 'voter@fan.io'"
        ))
        .await,
        1
    );
}
