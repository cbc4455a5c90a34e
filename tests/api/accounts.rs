//! Page installation, admin sessions, tenancy, fan login, identity resolution and
//! token health, through HTTP against the sandbox.

use std::collections::HashMap;

use diesel::prelude::*;
use fanfare::platform::sandbox::seed::{
    ADMIN_ALEX, ADMIN_SAM, BRAND_PAGE, COFFEE_PAGE, FIRST_FAN, OTHER_PAGE,
};
use serde_json::{json, Value};

use crate::helpers::{count, spawn_app, TestApp};

/// A browser: its own cookie jar, no automatic redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent("Mozilla/5.0 (X11; Linux x86_64) FanfareTest/1.0")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Starts a sign-in at `start_path`, approves the dialog as `user_id`, and returns
/// the callback URL Facebook would send the browser to.
pub async fn through_dialog(
    app: &TestApp,
    b: &reqwest::Client,
    start_path: &str,
    user_id: &str,
) -> String {
    let r = b.get(app.url(start_path)).send().await.unwrap();
    assert_eq!(r.status(), 302, "{start_path}");
    let dialog = location(&r);
    let q = query(&dialog);
    let r = b
        .post(app.url("/sandbox/dialog/oauth/decide"))
        .form(&[
            ("client_id", q["client_id"].as_str()),
            ("redirect_uri", q["redirect_uri"].as_str()),
            ("state", q["state"].as_str()),
            ("scope", q["scope"].as_str()),
            ("user_id", user_id),
            ("grant", "email"),
            ("grant", "user_friends"),
            ("action", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    location(&r)
}

/// Signs an admin in through the whole OAuth flow; returns their browser.
pub async fn admin_browser(app: &TestApp, user_id: &str) -> reqwest::Client {
    let b = browser();
    let callback = through_dialog(app, &b, "/auth/facebook/login", user_id).await;
    let r = b.get(callback).send().await.unwrap();
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/dashboard");
    b
}

/// The admin's session token, for Bearer calls.
pub async fn admin_token(app: &TestApp, user_id: &str) -> String {
    let b = browser();
    let callback = through_dialog(app, &b, "/auth/facebook/login", user_id).await;
    let r = b.get(callback).send().await.unwrap();
    let token = r
        .cookies()
        .find(|c| c.name() == "fanfare_admin")
        .expect("session cookie")
        .value()
        .to_string();
    token
}

async fn api(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> (u16, Value) {
    let r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn login_redirects_to_the_dialog_with_exact_parameters() {
    let app = spawn_app().await;
    let b = browser();
    let r = b.get(app.url("/auth/facebook/login")).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let cookie = r.cookies().find(|c| c.name() == "fanfare_oauth").unwrap();
    assert!(cookie.http_only());
    let to = location(&r);
    assert!(to.starts_with(&format!("{}/sandbox/v21.0/dialog/oauth?", app.address)));
    let q = query(&to);
    assert_eq!(q["client_id"], app.settings.facebook.app_id);
    assert_eq!(
        q["redirect_uri"],
        format!("{}/auth/facebook/callback", app.address)
    );
    assert_eq!(
        q["scope"],
        "pages_show_list,pages_manage_metadata,pages_read_engagement,pages_read_user_content"
    );
    assert_eq!(q["response_type"], "code");
    assert!(q["state"].len() >= 32);
    let again = query(&location(
        &b.get(app.url("/auth/facebook/login")).send().await.unwrap(),
    ));
    assert_ne!(
        again["state"], q["state"],
        "states are unguessable, fresh each time"
    );
}

#[tokio::test]
async fn install_stores_admin_pages_encrypted_tokens_and_subscriptions_and_reinstall_does_not_duplicate(
) {
    let app = spawn_app().await;
    let token = admin_token(&app, ADMIN_ALEX).await;
    let (status, me) = api(&app, &token, reqwest::Method::GET, "/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["admin"]["name"], "Alex Rivera");
    let pages = me["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 2);
    assert!(pages
        .iter()
        .all(|p| p["subscription_status"] == "subscribed"
            && p["subscribed_fields"] == "feed,mention"
            && p["token_status"] == "valid"));
    assert!(
        pages.iter().all(|p| p.get("page_token_enc").is_none()),
        "tokens never leave the server"
    );

    // The stored bytes do not contain any token the platform issued.
    let leaked = app
        .query(|c| {
            #[derive(QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            diesel::sql_query(
                "SELECT count(*) AS n FROM sandbox_tokens t, pages p, admins a \
                 WHERE position(convert_to(t.token, 'UTF8') in p.page_token_enc) > 0 \
                    OR position(convert_to(t.token, 'UTF8') in a.user_token_enc) > 0",
            )
            .get_result::<N>(c)
            .unwrap()
            .n
        })
        .await;
    assert_eq!(leaked, 0);
    let sandbox_subs = app
        .query(|c| count(c, "sandbox_subscriptions WHERE fields = 'feed,mention'"))
        .await;
    assert_eq!(sandbox_subs, 2);

    // Re-install updates in place.
    admin_token(&app, ADMIN_ALEX).await;
    let (admins, pages, links) = app
        .query(|c| {
            (
                count(c, "admins"),
                count(c, "pages"),
                count(c, "page_admins"),
            )
        })
        .await;
    assert_eq!((admins, pages, links), (1, 2, 2));
}

#[tokio::test]
async fn the_callback_refuses_bad_missing_expired_and_foreign_states_denials_and_code_reuse() {
    let app = spawn_app().await;
    let b = browser();
    // Missing and made-up states.
    let r = b
        .get(app.url("/auth/facebook/callback?code=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("incomplete"));
    let r = b
        .get(app.url("/auth/facebook/callback?code=x&state=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not valid"));

    // A state started in another browser.
    let callback = through_dialog(&app, &b, "/auth/facebook/login", ADMIN_ALEX).await;
    let r = browser().get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("another browser"));
    // ...and it is spent now, even for the right browser.
    let r = b.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 400);

    // An expired state.
    let callback = through_dialog(&app, &b, "/auth/facebook/login", ADMIN_ALEX).await;
    app.query(|c| {
        diesel::sql_query("UPDATE oauth_states SET expires_at = now() - interval '1 second'")
            .execute(c)
            .unwrap()
    })
    .await;
    let r = b.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("too long"));

    // A denied dialog.
    let r = b.get(app.url("/auth/facebook/login")).send().await.unwrap();
    let q = query(&location(&r));
    let r = b
        .post(app.url("/sandbox/dialog/oauth/decide"))
        .form(&[
            ("client_id", q["client_id"].as_str()),
            ("redirect_uri", q["redirect_uri"].as_str()),
            ("state", q["state"].as_str()),
            ("scope", q["scope"].as_str()),
            ("action", "cancel"),
        ])
        .send()
        .await
        .unwrap();
    let r = b.get(location(&r)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("cancelled"));

    // A code that was already used (with a fresh, valid state).
    let callback = through_dialog(&app, &b, "/auth/facebook/login", ADMIN_ALEX).await;
    let code = query(&callback)["code"].clone();
    assert_eq!(b.get(&callback).send().await.unwrap().status(), 302);
    let fresh = b.get(app.url("/auth/facebook/login")).send().await.unwrap();
    let state = query(&location(&fresh))["state"].clone();
    let r = b
        .get(app.url("/auth/facebook/callback"))
        .query(&[("code", code.as_str()), ("state", state.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("already used"));
    assert_eq!(app.query(|c| count(c, "admins")).await, 1);
}

#[tokio::test]
async fn jwt_attacks_are_rejected() {
    use fanfare::platform::facebook::signed_request::b64url_encode;
    let app = spawn_app().await;
    let token = admin_token(&app, ADMIN_ALEX).await;
    assert_eq!(
        api(&app, &token, reqwest::Method::GET, "/api/v1/me")
            .await
            .0,
        200
    );
    let parts: Vec<&str> = token.split('.').collect();
    let header: Value = serde_json::from_slice(
        &fanfare::platform::facebook::signed_request::b64url_decode(parts[0]).unwrap(),
    )
    .unwrap();
    let kid = header["kid"].as_str().unwrap();
    let payload: Value = serde_json::from_slice(
        &fanfare::platform::facebook::signed_request::b64url_decode(parts[1]).unwrap(),
    )
    .unwrap();

    let none = format!(
        "{}.{}.",
        b64url_encode(
            json!({"alg":"none","typ":"JWT","kid":kid})
                .to_string()
                .as_bytes()
        ),
        parts[1]
    );
    let hs512 = {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512);
        h.kid = Some(kid.into());
        jsonwebtoken::encode(
            &h,
            &payload,
            &jsonwebtoken::EncodingKey::from_secret(&app.state.keys.admin_session.current.bytes),
        )
        .unwrap()
    };
    let wrong_key = {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = Some(kid.into());
        jsonwebtoken::encode(
            &h,
            &payload,
            &jsonwebtoken::EncodingKey::from_secret(b"not the key"),
        )
        .unwrap()
    };
    let expired = {
        let mut p = payload.clone();
        p["exp"] = json!(chrono::Utc::now().timestamp() - 120);
        fanfare::auth::jwt::sign(&app.state.keys.admin_session, &p)
    };
    let tampered = {
        let mut p = payload.clone();
        p["sub"] = json!("999");
        format!(
            "{}.{}.{}",
            parts[0],
            b64url_encode(p.to_string().as_bytes()),
            parts[2]
        )
    };
    for (name, bad) in [
        ("none", none),
        ("hs512", hs512),
        ("wrong key", wrong_key),
        ("expired", expired),
        ("tampered", tampered),
        ("junk", "a.b.c".into()),
    ] {
        let (status, body) = api(&app, &bad, reqwest::Method::GET, "/api/v1/me").await;
        assert_eq!(status, 401, "{name}");
        assert!(body["error"]["code"].is_string());
    }
    // The cookie path rejects them too.
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", "fanfare_admin=a.b.c")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn sessions_renew_and_logout_revokes_everywhere() {
    let app = spawn_app().await;
    let b = admin_browser(&app, ADMIN_ALEX).await;
    let r = b.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_string();

    // A token past half its life is renewed in the response.
    let (sid, admin_id) = app
        .query(|c| {
            use fanfare::db::schema::admin_sessions::dsl::*;
            admin_sessions
                .select((id, admin_id))
                .first::<(uuid::Uuid, i64)>(c)
                .unwrap()
        })
        .await;
    let now = chrono::Utc::now().timestamp();
    let aging = fanfare::auth::jwt::sign(
        &app.state.keys.admin_session,
        &json!({"sub": admin_id.to_string(), "sid": sid, "aud": "fanfare-admin", "iat": now - 3000, "exp": now + 60}),
    );
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&aging)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let renewed = r.headers()["x-session-token"].to_str().unwrap().to_string();
    assert_ne!(renewed, aging);
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("fanfare_admin={aging}"))
        .send()
        .await
        .unwrap();
    let cookie = r
        .cookies()
        .find(|c| c.name() == "fanfare_admin")
        .expect("renewed cookie");
    assert!(cookie.http_only());
    assert!(cookie.same_site_lax());

    // Logout needs the CSRF token when the session is a cookie.
    let r = b.post(app.url("/auth/logout")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = b
        .post(app.url("/auth/logout"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // Every token of that session is dead now, including the renewed one.
    assert_eq!(
        b.get(app.url("/api/v1/me")).send().await.unwrap().status(),
        401
    );
    assert_eq!(
        api(&app, &renewed, reqwest::Method::GET, "/api/v1/me")
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn tenancy_a_second_admin_cannot_read_or_change_another_admins_pages() {
    let app = spawn_app().await;
    let alex = admin_token(&app, ADMIN_ALEX).await;
    let sam = admin_token(&app, ADMIN_SAM).await;
    let (_, alex_pages) = api(&app, &alex, reqwest::Method::GET, "/api/v1/pages").await;
    let (_, sam_pages) = api(&app, &sam, reqwest::Method::GET, "/api/v1/pages").await;
    let ids = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["fb_page_id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut alex_ids = ids(&alex_pages);
    alex_ids.sort();
    assert_eq!(
        alex_ids,
        vec![BRAND_PAGE.to_string(), COFFEE_PAGE.to_string()]
    );
    assert_eq!(ids(&sam_pages), vec![OTHER_PAGE.to_string()]);
    for page in alex_pages["data"].as_array().unwrap() {
        let id = page["id"].as_i64().unwrap();
        crate::tenancy::assert_no_cross_tenant_access(&app, &sam, "page", id).await;
    }
}

#[tokio::test]
async fn fan_login_creates_a_contact_with_a_separate_fan_session() {
    let app = spawn_app().await;
    admin_token(&app, ADMIN_ALEX).await; // installs the brand page
    let fan = (FIRST_FAN + 11).to_string();
    let b = browser();
    let callback = through_dialog(
        &app,
        &b,
        &format!("/auth/fan/login?page={BRAND_PAGE}&return_to=/c/shirt"),
        &fan,
    )
    .await;
    let r = b.get(callback).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), "/c/shirt");
    let session = r
        .cookies()
        .find(|c| c.name() == "fanfare_fan")
        .expect("fan session")
        .value()
        .to_string();
    assert!(r.cookies().all(|c| c.name() != "fanfare_admin"));
    // A fan session is not an admin session.
    assert_eq!(
        api(&app, &session, reqwest::Method::GET, "/api/v1/me")
            .await
            .0,
        401
    );
    let f = fan.clone();
    let (contacts, asid, friends, token_rows) = app
        .query(move |c| {
            (
                count(c, "contacts"),
                count(
                    c,
                    &format!("contact_identities WHERE kind = 'asid' AND value = '{f}'"),
                ),
                count(
                    c,
                    "contacts WHERE friends_count > 0 AND first_source = 'login'",
                ),
                count(c, &format!("fan_tokens WHERE fb_user_id = '{f}'")),
            )
        })
        .await;
    assert_eq!((contacts, asid, friends, token_rows), (1, 1, 1, 1));
    // An open redirect is never followed.
    let callback = through_dialog(
        &app,
        &b,
        &format!("/auth/fan/login?page={BRAND_PAGE}&return_to=//evil.example/x"),
        &fan,
    )
    .await;
    let r = b.get(callback).send().await.unwrap();
    assert_eq!(location(&r), "/");
    assert_eq!(
        app.query(|c| count(c, "contacts")).await,
        1,
        "logging in again links the same contact"
    );
}

#[tokio::test]
async fn a_token_error_marks_the_page_needs_reauth_and_the_api_shows_it() {
    let app = spawn_app().await;
    let token = admin_token(&app, ADMIN_ALEX).await;
    let (_, pages) = api(&app, &token, reqwest::Method::GET, "/api/v1/pages").await;
    let brand = pages["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["fb_page_id"] == BRAND_PAGE)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    app.client
        .post(app.url("/sandbox/admin/tokens/invalidate"))
        .json(&json!({"page_id": BRAND_PAGE}))
        .send()
        .await
        .unwrap();
    let (status, body) = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/pages/{brand}/subscription"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["subscribed"], false);
    assert_eq!(body["page"]["token_status"], "needs_reauth");
    assert!(
        body["page"]["token_error"]
            .as_str()
            .unwrap()
            .contains("190")
            || body["page"]["subscription_error"].is_string()
    );
    let (_, page) = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/pages/{brand}"),
    )
    .await;
    assert_eq!(page["token_status"], "needs_reauth");
    // Signing in again restores it.
    admin_token(&app, ADMIN_ALEX).await;
    let (_, page) = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/pages/{brand}"),
    )
    .await;
    assert_eq!(page["token_status"], "valid");
}

#[tokio::test]
async fn deauthorize_revokes_the_admins_tokens_and_sessions_and_page_removal_revokes_the_page() {
    use fanfare::platform::facebook::signed_request::sign;
    let app = spawn_app().await;
    let token = admin_token(&app, ADMIN_ALEX).await;
    let now = chrono::Utc::now().timestamp();
    let sr = sign(
        &json!({"algorithm":"HMAC-SHA256","issued_at":now,"user_id":ADMIN_ALEX}),
        app.app_secret().as_bytes(),
    );
    let r: Value = app
        .client
        .post(app.url("/facebook/deauthorize"))
        .form(&[("signed_request", sr)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["tokens_revoked"], 3,
        "the user token and both page tokens"
    );
    assert_eq!(
        api(&app, &token, reqwest::Method::GET, "/api/v1/me")
            .await
            .0,
        401
    );
    let (user_tokens, page_tokens) = app
        .query(|c| {
            (
                count(c, "admins WHERE user_token_enc IS NOT NULL"),
                count(c, "pages WHERE page_token_enc IS NOT NULL"),
            )
        })
        .await;
    assert_eq!((user_tokens, page_tokens), (0, 0));

    let sam = admin_token(&app, ADMIN_SAM).await;
    let sr = sign(
        &json!({"algorithm":"HMAC-SHA256","issued_at":now,"user_id":"0","profile_id":OTHER_PAGE}),
        app.app_secret().as_bytes(),
    );
    app.client
        .post(app.url("/facebook/deauthorize"))
        .form(&[("signed_request", sr)])
        .send()
        .await
        .unwrap();
    let (_, pages) = api(&app, &sam, reqwest::Method::GET, "/api/v1/pages").await;
    assert_eq!(pages["data"][0]["token_status"], "revoked");
    assert_eq!(pages["data"][0]["subscription_status"], "removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_observations_of_one_person_end_in_one_contact_and_merges_move_identities() {
    use fanfare::db::contacts::{resolve, Observation};
    let app = spawn_app().await;
    admin_token(&app, ADMIN_ALEX).await;
    let page_id: i64 = app
        .query(|c| {
            use fanfare::db::schema::pages::dsl::*;
            pages
                .filter(fb_page_id.eq(BRAND_PAGE))
                .select(id)
                .first(c)
                .unwrap()
        })
        .await;
    // 30 concurrent requests see the same person through different identities.
    let url = app.db.url.clone();
    let handles: Vec<_> = (0..30)
        .map(|i| {
            let url = url.clone();
            tokio::task::spawn_blocking(move || {
                let mut c = PgConnection::establish(&url).unwrap();
                let o = match i % 3 {
                    0 => Observation {
                        page_id,
                        asid: Some("777".into()),
                        email: Some("Pat@Example.com ".into()),
                        source: "login",
                        ..Default::default()
                    },
                    1 => Observation {
                        page_id,
                        email: Some("pat@example.com".into()),
                        source: "fan_page",
                        ..Default::default()
                    },
                    _ => Observation {
                        page_id,
                        psid: Some("777".into()),
                        display_name: Some("Pat".into()),
                        source: "comment",
                        ..Default::default()
                    },
                };
                resolve(&mut c, &o).unwrap().contact_id
            })
        })
        .collect();
    let mut ids = Vec::new();
    for h in handles {
        ids.push(h.await.unwrap());
    }
    let (contacts, identities) = app
        .query(|c| (count(c, "contacts"), count(c, "contact_identities")))
        .await;
    assert_eq!(contacts, 1, "one person, one contact");
    assert_eq!(identities, 3, "asid, psid and email");

    // Two separately known contacts are merged into the older one when seen together.
    let url2 = url.clone();
    let (older, newer, merged) = tokio::task::spawn_blocking(move || {
        let mut c = PgConnection::establish(&url2).unwrap();
        let older = resolve(
            &mut c,
            &Observation {
                page_id,
                email: Some("sam@x.io".into()),
                postal_code: Some("94107".into()),
                source: "fan_page",
                ..Default::default()
            },
        )
        .unwrap();
        let newer = resolve(
            &mut c,
            &Observation {
                page_id,
                psid: Some("888".into()),
                display_name: Some("Sam Q".into()),
                source: "comment",
                ..Default::default()
            },
        )
        .unwrap();
        let merged = resolve(
            &mut c,
            &Observation {
                page_id,
                asid: Some("888".into()),
                email: Some("sam@x.io".into()),
                source: "login",
                ..Default::default()
            },
        )
        .unwrap();
        (older, newer, merged)
    })
    .await
    .unwrap();
    assert_ne!(older.contact_id, newer.contact_id);
    assert_eq!(merged.contact_id, older.contact_id.min(newer.contact_id));
    assert_eq!(merged.merged, vec![older.contact_id.max(newer.contact_id)]);
    let id = merged.contact_id;
    let (name, postal, idents) = app
        .query(move |c| {
            let contact = fanfare::db::contacts::find(c, id).unwrap();
            (
                contact.display_name,
                contact.postal_code,
                fanfare::db::contacts::identities(c, id).unwrap().len(),
            )
        })
        .await;
    assert_eq!(
        (name.as_deref(), postal.as_deref(), idents),
        (Some("Sam Q"), Some("94107"), 3)
    );
}

#[tokio::test]
async fn the_daily_reconcile_resubscribes_pages_that_lost_their_subscription() {
    use fanfare::jobs::run_once;
    let app = spawn_app().await;
    admin_token(&app, ADMIN_ALEX).await;
    app.query(|c| {
        diesel::sql_query("DELETE FROM sandbox_subscriptions WHERE page_id = '1111222233334444'")
            .execute(c)
            .unwrap()
    })
    .await;
    // The app's worker already scheduled today's run at start-up; make it due again.
    app.query(|c| {
        diesel::sql_query("UPDATE job_schedule SET last_enqueued_at = 'epoch'")
            .execute(c)
            .unwrap()
    })
    .await;
    let w = app.settings.worker.clone();
    let n = app
        .query(move |c| fanfare::jobs::scheduler::enqueue_due(c, &w).unwrap())
        .await;
    let w = app.settings.worker.clone();
    assert!(n.contains(&"reconcile_subscriptions"), "{n:?}");
    assert!(
        app.query(move |c| fanfare::jobs::scheduler::enqueue_due(c, &w).unwrap())
            .await
            .is_empty(),
        "once per period"
    );
    let (registry, ctx) = crate::helpers::job_runner(&app);
    let url = app.db.url.clone();
    // The app's own worker may take it first; either way it must end up done.
    tokio::task::spawn_blocking(move || {
        let mut c = PgConnection::establish(&url).unwrap();
        run_once(&registry, &ctx, &mut c, 10).unwrap();
    })
    .await
    .unwrap();
    app.eventually("page re-subscribed", |c| {
        count(
            c,
            "sandbox_subscriptions WHERE page_id = '1111222233334444' AND fields = 'feed,mention'",
        ) == 1
            && count(c, "jobs WHERE kind = 'reconcile_subscriptions'") == 0
    })
    .await;
}

#[tokio::test]
async fn key_rotation_reseals_every_token_with_the_new_key() {
    use fanfare::crypto::tokens::TokenCipher;
    let app = spawn_app().await;
    admin_token(&app, ADMIN_ALEX).await;
    let old = app.settings.security.clone();
    let mut rotated = old.clone();
    rotated.secret_key =
        fanfare::config::Secret::new("a-brand-new-master-key-for-rotation-tests-0123");
    rotated.previous_secret_keys = vec![old.secret_key.clone()];
    let new_only = {
        let mut s = rotated.clone();
        s.previous_secret_keys.clear();
        TokenCipher::new(&s)
    };
    let cipher = TokenCipher::new(&rotated);
    let report = app
        .query(move |c| fanfare::db::rotation::reseal_all(c, &cipher).unwrap())
        .await;
    let resealed: usize = report.iter().map(|r| r.resealed).sum();
    assert_eq!(
        resealed, 3,
        "the admin's user token and two page tokens: {report:?}"
    );
    assert!(report.iter().all(|r| r.unreadable == 0));
    // Everything now opens with the new key alone.
    let blobs: Vec<(String, Vec<u8>)> = app
        .query(|c| {
            use fanfare::db::schema::pages::dsl::*;
            pages
                .select((fb_page_id, page_token_enc.assume_not_null()))
                .load(c)
                .unwrap()
        })
        .await;
    for (page, blob) in blobs {
        assert!(new_only.decrypt(&blob, &format!("page:{page}")).is_ok());
    }
    // A second run has nothing left to do.
    let cipher = TokenCipher::new(&rotated);
    let again = app
        .query(move |c| fanfare::db::rotation::reseal_all(c, &cipher).unwrap())
        .await;
    assert_eq!(again.iter().map(|r| r.resealed).sum::<usize>(), 0);
}

#[derive(QueryableByName)]
struct FanRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    email: String,
}

#[derive(QueryableByName)]
struct ActivityRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    contact_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
}

/// Contacts that hold one of the person's identities (psid/asid = the fan id, or
/// the email), as ids.
fn contacts_of(c: &mut PgConnection, fan: &str, email: &str) -> Vec<i64> {
    diesel::sql_query(
        "SELECT DISTINCT contact_id AS n FROM contact_identities \
         WHERE (kind IN ('asid', 'psid') AND value = $1) OR (kind = 'email' AND value = $2) \
         ORDER BY 1",
    )
    .bind::<diesel::sql_types::Text, _>(fan)
    .bind::<diesel::sql_types::Text, _>(email)
    .load::<IdRow>(c)
    .unwrap()
    .into_iter()
    .map(|r| r.n)
    .collect()
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test]
async fn concurrent_logins_and_entries_over_http_merge_one_person_and_move_their_activity() {
    use crate::support::{enter, fan_logged_in, fan_page, installed, open_contest};
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let contest = open_contest(&app, &inst, json!({"auto_approve": true})).await;
    let slug = contest["slug"].as_str().unwrap().to_string();
    // A sandbox fan with an email (the dialog grants it on login).
    let fan = app
        .query(|c| {
            diesel::sql_query(
                "SELECT id, email FROM sandbox_users WHERE NOT is_admin AND email IS NOT NULL \
                 ORDER BY id OFFSET 2 LIMIT 1",
            )
            .get_result::<FanRow>(c)
            .unwrap()
        })
        .await;
    let (fan_id, email) = (fan.id.clone(), fan.email.to_lowercase());

    // First the fan comments on the page: the webhook makes a contact known only by
    // its page-scoped id, with a comment on its timeline.
    let r: Value = app
        .client
        .post(app.url("/sandbox/admin/comments"))
        .json(&json!({"post_id": format!("{BRAND_PAGE}_555"), "user_id": fan_id, "message": "Love these shirts"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["webhook_queued"], true, "{r}");
    app.client
        .post(app.url("/sandbox/admin/flush"))
        .send()
        .await
        .unwrap();
    let f = fan_id.clone();
    app.eventually("the comment is on a contact's timeline", move |c| {
        count(
            c,
            &format!(
                "activities a JOIN contact_identities i ON i.contact_id = a.contact_id \
                 WHERE a.kind = 'comment' AND i.kind = 'psid' AND i.value = '{f}'"
            ),
        ) == 1
    })
    .await;
    let (f, e) = (fan_id.clone(), email.clone());
    let before = app.query(move |c| contacts_of(c, &f, &e)).await;
    assert_eq!(before.len(), 1, "known by psid only so far");
    let commenter = before[0];
    // Then an entry through the form with the fan's email: nothing links it to the
    // commenter yet, so it is a second contact, with the entry on its timeline.
    let b = browser();
    let csrf = fan_page(&app, &b, &slug).await;
    let (status, body) = enter(
        &app,
        &b,
        &slug,
        &csrf,
        &[
            ("email", email.as_str()),
            ("text", "A shirt with a skyline"),
            ("accept_rules", "on"),
        ],
        true,
    )
    .await;
    assert!([200, 201].contains(&status), "{status} {body}");
    let (f, e) = (fan_id.clone(), email.clone());
    let before = app.query(move |c| contacts_of(c, &f, &e)).await;
    assert_eq!(before.len(), 2, "two contacts for one person, for now");

    // Then, all at once: the fan logs in with Facebook on several devices (asid and
    // email: rule 2 links the asid to the commenter's psid, the email to the
    // entrant, so the two merge into the older) while forms are submitted again
    // with the same email in other casings.
    let app_ref = &app;
    let logins = (0..4).map(|_| {
        let (slug, fan_id) = (slug.clone(), fan_id.clone());
        Box::pin(async move {
            let b = fan_logged_in(app_ref, &fan_id, &slug).await;
            fan_page(app_ref, &b, &slug).await;
        }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>
    });
    let forms = [email.to_uppercase(), email.clone(), format!(" {email} ")]
        .into_iter()
        .map(|casing| {
            let slug = slug.clone();
            Box::pin(async move {
                let b = browser();
                let csrf = fan_page(app_ref, &b, &slug).await;
                let (status, body) = enter(
                    app_ref,
                    &b,
                    &slug,
                    &csrf,
                    &[
                        ("email", casing.as_str()),
                        ("text", "A shirt with a skyline"),
                        ("accept_rules", "on"),
                    ],
                    true,
                )
                .await;
                // One entry per person: the others are refused as duplicates.
                assert!([200, 201, 409].contains(&status), "{status} {body}");
            }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>
        });
    futures::future::join_all(logins.chain(forms)).await;

    let (f, e) = (fan_id.clone(), email.clone());
    let (after, activities, entries) = app
        .query(move |c| {
            let after = contacts_of(c, &f, &e);
            let activities: Vec<ActivityRow> = diesel::sql_query(
                "SELECT contact_id, kind FROM activities WHERE kind IN ('comment', 'entry') ORDER BY id",
            )
            .load(c)
            .unwrap();
            (after, activities, count(c, "entries"))
        })
        .await;
    assert_eq!(
        after,
        vec![commenter],
        "one contact, the oldest one, survives"
    );
    assert_eq!(
        entries, 1,
        "one entry per person, whatever the email's casing"
    );
    let kinds: Vec<&str> = activities
        .iter()
        .filter(|a| a.contact_id == commenter)
        .map(|a| a.kind.as_str())
        .collect();
    assert!(kinds.contains(&"comment"), "{kinds:?}");
    assert!(kinds.contains(&"entry"), "{kinds:?}");
    assert!(
        activities.iter().all(|a| a.contact_id == commenter),
        "every comment and entry is on the survivor's timeline"
    );
    let (f, survivor) = (fan_id.clone(), commenter);
    let identities = app
        .query(move |c| {
            count(
                c,
                &format!(
                    "contact_identities WHERE contact_id = {survivor} AND \
                     ((kind IN ('asid', 'psid') AND value = '{f}') OR kind = 'email')"
                ),
            )
        })
        .await;
    assert_eq!(identities, 3, "asid, psid and email on the survivor");
}

#[derive(QueryableByName)]
struct StoredTokens {
    #[diesel(sql_type = diesel::sql_types::Binary)]
    page_token_enc: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    user_token_enc: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Double)]
    user_expires_in_days: f64,
}

#[derive(QueryableByName)]
struct SandboxToken {
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    long_lived: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    never_expires: bool,
}

#[tokio::test]
async fn install_stores_the_long_lived_user_token_and_the_page_token_derived_from_it() {
    let app = spawn_app().await;
    admin_token(&app, ADMIN_ALEX).await;
    let stored = app
        .query(|c| {
            diesel::sql_query(
                "SELECT p.page_token_enc, a.user_token_enc, \
                 extract(epoch FROM a.user_token_expires_at - now())::float8 / 86400 AS user_expires_in_days \
                 FROM pages p JOIN admins a ON a.id = p.token_admin_id \
                 WHERE p.fb_page_id = $1 AND a.fb_user_id = $2",
            )
            .bind::<diesel::sql_types::Text, _>(BRAND_PAGE)
            .bind::<diesel::sql_types::Text, _>(ADMIN_ALEX)
            .get_result::<StoredTokens>(c)
            .unwrap()
        })
        .await;
    let cipher = &app.state.keys.tokens;
    let page_token = cipher
        .decrypt(&stored.page_token_enc, &format!("page:{BRAND_PAGE}"))
        .unwrap();
    let user_token = cipher
        .decrypt(&stored.user_token_enc, &format!("admin:{ADMIN_ALEX}"))
        .unwrap();
    // What the sandbox issued those tokens as: the dialog's code gives a short-lived
    // user token (an hour or two); install must have exchanged it.
    let issued = |token: String| {
        app.query(move |c| {
            diesel::sql_query(
                "SELECT kind, long_lived, expires_at IS NULL AS never_expires \
                 FROM sandbox_tokens WHERE token = $1",
            )
            .bind::<diesel::sql_types::Text, _>(token)
            .get_result::<SandboxToken>(c)
            .unwrap()
        })
    };
    let user = issued(user_token).await;
    assert_eq!(user.kind, "user");
    assert!(
        user.long_lived,
        "the stored user token is the long-lived one"
    );
    assert!(
        stored.user_expires_in_days > 30.0,
        "its expiry is about 60 days out: {} days",
        stored.user_expires_in_days
    );
    let page = issued(page_token).await;
    assert_eq!(page.kind, "page");
    assert!(
        page.long_lived,
        "the page token comes from the long-lived user token"
    );
    assert!(page.never_expires, "so it does not expire");
    // The short-lived token the code was exchanged for exists, but is not stored.
    let short = app
        .query(|c| {
            count(
                c,
                &format!("sandbox_tokens WHERE user_id = '{ADMIN_ALEX}' AND kind = 'user' AND NOT long_lived"),
            )
        })
        .await;
    assert!(
        short >= 1,
        "the code was first exchanged for a short-lived token"
    );
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    use crate::helpers::{spawn_app_with, Spawn};
    for (public_url, secure) in [("https://fanfare.example", true), ("", false)] {
        let app = spawn_app_with(Spawn::default(), |s| {
            s.server.public_url = public_url.into();
            // `auto` is the default: Secure exactly when public_url is https.
            assert_eq!(
                s.security.cookie_secure,
                fanfare::config::CookieSecure::Auto
            );
        })
        .await;
        // The admin and the fan logins each set an OAuth state cookie.
        let r = app.get("/auth/facebook/login").await;
        assert_eq!(r.status(), 302);
        let mut cookies: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        // The fan login needs a page that runs Fanfare (the install is not what
        // this test is about, and its redirects would go to the https origin).
        app.query(|c| {
            diesel::sql_query(format!(
                "INSERT INTO pages (fb_page_id, name) VALUES ('{BRAND_PAGE}', 'Threadline Apparel')"
            ))
            .execute(c)
            .unwrap()
        })
        .await;
        let r = app
            .get(&format!("/auth/fan/login?page={BRAND_PAGE}&return_to=/"))
            .await;
        assert_eq!(r.status(), 302);
        cookies.extend(
            r.headers()
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_string()),
        );
        assert!(!cookies.is_empty());
        for c in &cookies {
            assert_eq!(
                c.split(';')
                    .any(|p| p.trim().eq_ignore_ascii_case("secure")),
                secure,
                "public_url {public_url:?}: {c}"
            );
            assert!(c.to_lowercase().contains("httponly"), "{c}");
        }
        if secure {
            // Fan cookies must work in facebook.com's iframe: SameSite=None with Secure.
            assert!(
                cookies.iter().any(|c| c.contains("SameSite=None")),
                "{cookies:?}"
            );
        }
    }
}
