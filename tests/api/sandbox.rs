//! The sandbox platform answers in Facebook's documented shapes, checks tokens and
//! appsecret_proof like Facebook, and delivers signed webhooks that Fanfare stores.

use std::collections::HashMap;

use fanfare::platform::facebook::proof::appsecret_proof;
use fanfare::platform::sandbox::seed::{ADMIN_ALEX, BRAND_PAGE, COFFEE_PAGE, FIRST_FAN};
use serde_json::{json, Value};

use crate::helpers::{count, spawn_app, spawn_app_with, spawn_app_without_workers, Spawn, TestApp};

pub const VERSION: &str = "v21.0";

pub fn graph_url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/sandbox/{VERSION}/{path}"))
}

/// Runs the OAuth dialog as a person would: pick the user, keep optional scopes.
pub async fn dialog_code(app: &TestApp, user_id: &str, scope: &str, redirect_uri: &str) -> String {
    let page = app
        .client
        .get(app.url("/sandbox/dialog/oauth"))
        .query(&[
            ("client_id", app.settings.facebook.app_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("state", "st4te"),
            ("scope", scope),
            ("response_type", "code"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Alex Rivera"),
        "the dialog lists sandbox users"
    );
    let mut form = vec![
        ("client_id", app.settings.facebook.app_id.clone()),
        ("redirect_uri", redirect_uri.to_string()),
        ("state", "st4te".to_string()),
        ("scope", scope.to_string()),
        ("user_id", user_id.to_string()),
        ("action", "allow".to_string()),
    ];
    for optional in ["email", "user_friends"] {
        form.push(("grant", optional.to_string()));
    }
    let r = app
        .client
        .post(app.url("/sandbox/dialog/oauth/decide"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let q: HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "st4te");
    q["code"].clone()
}

pub async fn user_token(app: &TestApp, user_id: &str, scope: &str) -> String {
    let redirect = format!("{}/auth/facebook/callback", app.address);
    let code = dialog_code(app, user_id, scope, &redirect).await;
    let r: Value = app
        .client
        .get(graph_url(app, "oauth/access_token"))
        .query(&[
            ("client_id", app.settings.facebook.app_id.as_str()),
            ("client_secret", &app.app_secret()),
            ("redirect_uri", &redirect),
            ("code", &code),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_string()
}

pub async fn graph_get(
    app: &TestApp,
    path: &str,
    token: &str,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let proof = appsecret_proof(&app.app_secret(), token);
    let mut q: Vec<(&str, &str)> = vec![("access_token", token), ("appsecret_proof", &proof)];
    q.extend_from_slice(extra);
    let r = app
        .client
        .get(graph_url(app, path))
        .query(&q)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

const ADMIN_SCOPES: &str =
    "pages_show_list,pages_manage_metadata,pages_read_engagement,pages_read_user_content";

async fn page_token(app: &TestApp) -> String {
    let user = user_token(app, ADMIN_ALEX, ADMIN_SCOPES).await;
    let (_, accounts) = graph_get(
        app,
        "me/accounts",
        &user,
        &[("fields", "id,name,access_token,tasks")],
    )
    .await;
    accounts["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == BRAND_PAGE)
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn oauth_dialog_code_exchange_and_long_lived_upgrade() {
    let app = spawn_app().await;
    let redirect = format!("{}/auth/facebook/callback", app.address);
    let code = dialog_code(&app, ADMIN_ALEX, ADMIN_SCOPES, &redirect).await;
    let exchange = |code: String, redirect: String| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(graph_url(app, "oauth/access_token"))
                .query(&[
                    ("client_id", app.settings.facebook.app_id.as_str()),
                    ("client_secret", &app.app_secret()),
                    ("redirect_uri", &redirect),
                    ("code", &code),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = exchange(code.clone(), redirect.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    let short = body["access_token"].as_str().unwrap().to_string();

    // A code works once.
    let (status, body) = exchange(code, redirect.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 100);
    assert_eq!(body["error"]["error_subcode"], 36009);
    assert_eq!(body["error"]["type"], "OAuthException");
    assert!(body["error"]["fbtrace_id"].is_string());

    // The redirect_uri must be identical to the dialog's.
    let code = dialog_code(&app, ADMIN_ALEX, ADMIN_SCOPES, &redirect).await;
    let (status, body) = exchange(code, format!("{redirect}x")).await;
    assert_eq!(
        (status, body["error"]["error_subcode"].as_i64()),
        (400, Some(36008))
    );
    let (status, body) = exchange("whatever".into(), "not-absolute".into()).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (400, Some(191)));

    let r: Value = app
        .client
        .get(graph_url(&app, "oauth/access_token"))
        .query(&[
            ("grant_type", "fb_exchange_token"),
            ("client_id", app.settings.facebook.app_id.as_str()),
            ("client_secret", &app.app_secret()),
            ("fb_exchange_token", &short),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        r["expires_in"].as_i64().unwrap() > 5_000_000,
        "about 60 days"
    );
    let long = r["access_token"].as_str().unwrap();
    let (status, me) = graph_get(&app, "me", long, &[("fields", "id,name,email")]).await;
    assert_eq!(status, 200);
    assert_eq!(me["id"], ADMIN_ALEX);
    assert_eq!(me["name"], "Alex Rivera");
}

#[tokio::test]
async fn cancelling_the_dialog_returns_access_denied() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/sandbox/dialog/oauth/decide"))
        .form(&[
            ("client_id", app.settings.facebook.app_id.as_str()),
            ("redirect_uri", "http://127.0.0.1:1/cb?x=1"),
            ("state", "s"),
            ("scope", "public_profile"),
            ("action", "cancel"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap();
    assert!(loc.starts_with("http://127.0.0.1:1/cb?x=1&error=access_denied"));
    assert!(loc.contains("error_reason=user_denied"));
    assert!(loc.contains("state=s"));
    // A wrong app id never shows the dialog.
    let r = app
        .client
        .get(app.url("/sandbox/dialog/oauth?client_id=nope&redirect_uri=http://x/cb"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn tokens_and_appsecret_proof_are_checked_like_facebook() {
    let app = spawn_app().await;
    let token = user_token(&app, ADMIN_ALEX, ADMIN_SCOPES).await;
    // No proof, wrong proof, unknown token, no token.
    let r: Value = app
        .client
        .get(graph_url(&app, "me"))
        .query(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"]["code"], 100);
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("appsecret_proof"));
    let r: Value = app
        .client
        .get(graph_url(&app, "me"))
        .query(&[
            ("access_token", token.as_str()),
            ("appsecret_proof", &"0".repeat(64)),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["error"]["message"],
        "Invalid appsecret_proof provided in the API argument"
    );
    let (status, r) = graph_get(&app, "me", "EAAUnot-a-token", &[]).await;
    assert_eq!((status, r["error"]["code"].as_i64()), (400, Some(190)));
    let r: Value = app
        .client
        .get(graph_url(&app, "me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"]["code"], 104);

    // Expired and invalidated tokens: 190 with subcodes 463 and 460.
    let t = token.clone();
    app.query(move |c| {
        use diesel::prelude::*;
        diesel::sql_query(
            "UPDATE sandbox_tokens SET expires_at = now() - interval '1 minute' WHERE token = $1",
        )
        .bind::<diesel::sql_types::Text, _>(t)
        .execute(c)
        .unwrap();
    })
    .await;
    let (_, r) = graph_get(&app, "me", &token, &[]).await;
    assert_eq!(
        (
            r["error"]["code"].as_i64(),
            r["error"]["error_subcode"].as_i64()
        ),
        (Some(190), Some(463))
    );

    let fresh = user_token(&app, ADMIN_ALEX, ADMIN_SCOPES).await;
    let r = app
        .client
        .post(app.url("/sandbox/admin/tokens/invalidate"))
        .json(&json!({"user_id": ADMIN_ALEX}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, r) = graph_get(&app, "me", &fresh, &[]).await;
    assert_eq!(r["error"]["error_subcode"], 460);

    // debug_token with the app token reports validity and scopes.
    let app_token = format!("{}|{}", app.settings.facebook.app_id, app.app_secret());
    let r: Value = app
        .client
        .get(graph_url(&app, "debug_token"))
        .query(&[
            ("input_token", fresh.as_str()),
            ("access_token", &app_token),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["data"]["is_valid"], false);
    assert_eq!(r["data"]["error"]["subcode"], 460);
    assert_eq!(r["data"]["user_id"], ADMIN_ALEX);
    assert!(r["data"]["scopes"]
        .as_array()
        .unwrap()
        .contains(&json!("pages_show_list")));
}

#[tokio::test]
async fn accounts_subscriptions_friends_and_permissions() {
    let app = spawn_app().await;
    let user = user_token(&app, ADMIN_ALEX, ADMIN_SCOPES).await;
    let (status, accounts) = graph_get(
        &app,
        "me/accounts",
        &user,
        &[("fields", "id,name,access_token,tasks")],
    )
    .await;
    assert_eq!(status, 200);
    let pages = accounts["data"].as_array().unwrap();
    assert_eq!(pages.len(), 2, "Alex runs two pages");
    assert!(pages
        .iter()
        .all(|p| p["access_token"].is_string() && p["tasks"].is_array()));

    let page_token = pages.iter().find(|p| p["id"] == BRAND_PAGE).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // A user token cannot manage subscriptions: (#210).
    let (status, r) = graph_get(&app, &format!("{BRAND_PAGE}/subscribed_apps"), &user, &[]).await;
    assert_eq!((status, r["error"]["code"].as_i64()), (403, Some(210)));
    let (_, r) = graph_get(
        &app,
        &format!("{BRAND_PAGE}/subscribed_apps"),
        &page_token,
        &[],
    )
    .await;
    assert_eq!(r["data"], json!([]));
    let proof = appsecret_proof(&app.app_secret(), &page_token);
    let r: Value = app
        .client
        .post(graph_url(&app, &format!("{BRAND_PAGE}/subscribed_apps")))
        .query(&[
            ("subscribed_fields", "feed,mention"),
            ("access_token", page_token.as_str()),
            ("appsecret_proof", proof.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"success": true}));
    let (_, r) = graph_get(
        &app,
        &format!("{BRAND_PAGE}/subscribed_apps"),
        &page_token,
        &[],
    )
    .await;
    assert_eq!(
        r["data"][0]["subscribed_fields"],
        json!(["feed", "mention"])
    );
    assert_eq!(r["data"][0]["id"], app.settings.facebook.app_id.as_str());

    // Friends need user_friends; the count is in summary.total_count.
    let fan = (FIRST_FAN + 3).to_string();
    let fan_token = user_token(&app, &fan, "public_profile,user_friends").await;
    let (status, r) = graph_get(&app, "me/friends", &fan_token, &[]).await;
    assert_eq!(status, 200);
    assert!(r["summary"]["total_count"].as_i64().unwrap() > 0);
    assert_eq!(r["data"], json!([]));
    let (status, r) = graph_get(&app, "me/friends", &user, &[]).await;
    assert_eq!((status, r["error"]["code"].as_i64()), (403, Some(200)));
    let (_, r) = graph_get(&app, "me/permissions", &fan_token, &[]).await;
    assert!(r["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["permission"] == "user_friends"));
}

#[tokio::test]
async fn posts_reach_comments_paging_and_insights() {
    let app = spawn_app().await;
    let token = page_token(&app).await;
    let post = format!("{BRAND_PAGE}_555");
    let (status, r) = graph_get(
        &app,
        &post,
        &token,
        &[(
            "fields",
            "shares,reactions.summary(total_count).limit(0),comments.summary(true).limit(0)",
        )],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(r["comments"]["summary"]["total_count"], 60);
    assert!(r["reactions"]["summary"]["total_count"].is_i64());
    assert!(r["shares"].is_null() || r["shares"]["count"].as_i64().unwrap() > 0);

    // Comments come 25 per page with cursors; `next` leads to the end.
    let mut seen = Vec::new();
    let (_, mut page) = graph_get(&app, &format!("{post}/comments"), &token, &[]).await;
    let mut pages = 1;
    loop {
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 25);
        for c in data {
            assert!(c["from"]["id"].is_string() && c["from"]["name"].is_string());
            assert!(c["created_time"].as_str().unwrap().ends_with("+0000"));
            seen.push(c["id"].as_str().unwrap().to_string());
        }
        assert!(page["paging"]["cursors"]["after"].is_string());
        let Some(next) = page["paging"]["next"].as_str() else {
            break;
        };
        let proof = appsecret_proof(&app.app_secret(), &token);
        page = app
            .client
            .get(next)
            .query(&[("appsecret_proof", proof.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pages += 1;
    }
    assert_eq!((seen.len(), pages), (60, 3));
    seen.dedup();
    assert_eq!(seen.len(), 60);

    let (status, r) = graph_get(
        &app,
        &format!("{post}/insights"),
        &token,
        &[("metric", "post_impressions_unique")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(r["data"][0]["name"], "post_impressions_unique");
    assert!(r["data"][0]["values"][0]["value"].as_i64().unwrap() > 0);
    let (status, r) = graph_get(
        &app,
        &format!("{post}/insights"),
        &token,
        &[("metric", "post_nonsense")],
    )
    .await;
    assert_eq!((status, r["error"]["code"].as_i64()), (400, Some(100)));

    let (status, r) = graph_get(&app, "123456789", &token, &[]).await;
    assert_eq!((status, r["error"]["code"].as_i64()), (400, Some(100)));
}

#[tokio::test]
async fn batch_answers_in_order_with_per_item_errors_and_caps_at_50() {
    let app = spawn_app().await;
    let token = page_token(&app).await;
    let proof = appsecret_proof(&app.app_secret(), &token);
    let batch = json!([
        {"method": "GET", "relative_url": format!("{BRAND_PAGE}_555?fields=comments.summary(true).limit(0)")},
        {"method": "GET", "relative_url": "no_such_object"},
        {"method": "GET", "relative_url": format!("{VERSION}/{BRAND_PAGE}_556?fields=id")},
    ]);
    let r: Value = app
        .client
        .post(app.url(&format!("/sandbox/{VERSION}/")))
        .form(&[
            ("batch", batch.to_string()),
            ("access_token", token.clone()),
            ("appsecret_proof", proof.clone()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = r.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["code"], 200);
    let body: Value = serde_json::from_str(items[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["comments"]["summary"]["total_count"], 60);
    assert_eq!(items[1]["code"], 400);
    let err: Value = serde_json::from_str(items[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(err["error"]["code"], 100);
    let body: Value = serde_json::from_str(items[2]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["id"], format!("{BRAND_PAGE}_556"));

    let too_many: Vec<Value> = (0..51)
        .map(|_| json!({"method":"GET","relative_url":"me"}))
        .collect();
    let r: Value = app
        .client
        .post(app.url(&format!("/sandbox/{VERSION}/")))
        .form(&[
            ("batch", Value::Array(too_many).to_string()),
            ("access_token", token),
            ("appsecret_proof", proof),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Maximum batch size is 50"));
}

#[tokio::test]
async fn fault_knobs_inject_errors_and_usage_headers() {
    let app = spawn_app().await;
    let token = user_token(&app, ADMIN_ALEX, ADMIN_SCOPES).await;
    let set = |faults: Value| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/sandbox/admin/faults"))
                .json(&faults)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    };
    set(json!({"usage_percent": 87})).await;
    let proof = appsecret_proof(&app.app_secret(), &token);
    let r = app
        .client
        .get(graph_url(&app, "me"))
        .query(&[
            ("access_token", token.as_str()),
            ("appsecret_proof", proof.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let usage: Value = serde_json::from_str(r.headers()["x-app-usage"].to_str().unwrap()).unwrap();
    assert_eq!(usage["call_count"], 87);
    assert_eq!(
        r.headers()["facebook-api-version"],
        app.settings.facebook.api_version.as_str()
    );

    set(json!({"error_rate": 1.0, "error_kind": "server_error"})).await;
    let (status, r) = graph_get(&app, "me", &token, &[]).await;
    assert_eq!((status, r["error"]["code"].as_i64()), (500, Some(2)));
    set(json!({"error_rate": 1.0, "error_kind": "too_many_requests"})).await;
    let (status, r) = graph_get(&app, "me", &token, &[]).await;
    assert_eq!((status, r["error"]["code"].as_i64()), (429, Some(4)));
    set(json!({"error_rate": 1.0, "error_kind": "garbage"})).await;
    let (status, r) = graph_get(&app, "me", &token, &[]).await;
    assert_eq!((status, r), (200, Value::Null), "the body is not JSON");
    set(json!({"rate_limit_rate": 1.0})).await;
    let (status, r) = graph_get(&app, "me", &token, &[]).await;
    assert_eq!((status, r["error"]["code"].as_i64()), (403, Some(4)));
    let bad = app
        .client
        .post(app.url("/sandbox/admin/faults"))
        .json(&json!({"error_rate": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn the_webhook_sender_delivers_signed_escaped_batches_that_fanfare_stores() {
    let app = spawn_app_without_workers().await;
    let token = page_token(&app).await;
    let proof = appsecret_proof(&app.app_secret(), &token);
    // Nothing is delivered for pages that did not subscribe.
    let fan = (FIRST_FAN + 7).to_string();
    let post = format!("{BRAND_PAGE}_555");
    let r: Value = app
        .client
        .post(app.url("/sandbox/admin/comments"))
        .json(&json!({"post_id": post, "user_id": fan, "message": "before subscribing"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["webhook_queued"], false);
    app.client
        .post(graph_url(&app, &format!("{BRAND_PAGE}/subscribed_apps")))
        .query(&[
            ("subscribed_fields", "feed,mention"),
            ("access_token", token.as_str()),
            ("appsecret_proof", proof.as_str()),
        ])
        .send()
        .await
        .unwrap();
    for (path, body) in [
        (
            "comments",
            json!({"post_id": post, "user_id": fan, "message": "Jämför / 😀 love it"}),
        ),
        (
            "reactions",
            json!({"post_id": post, "user_id": fan, "reaction_type": "love"}),
        ),
        (
            "shares",
            json!({"post_id": post, "user_id": fan, "message": "look"}),
        ),
        (
            "mentions",
            json!({"page_id": BRAND_PAGE, "message": "@Threadline rocks"}),
        ),
    ] {
        let r: Value = app
            .client
            .post(app.url(&format!("/sandbox/admin/{path}")))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["webhook_queued"], true, "{path}");
    }
    let r: Value = app
        .client
        .post(app.url("/sandbox/admin/flush"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["outbox"]["pending"], 0);
    // Acknowledged deliveries are split into events by their job.
    crate::helpers::drain(&app, 10).await;
    let (bodies, events) = app
        .query(|c| {
            use diesel::prelude::*;
            use fanfare::db::schema::webhook_deliveries::dsl::*;
            let b: Vec<Vec<u8>> = webhook_deliveries.select(body).load(c).unwrap();
            (b, count(c, "webhook_events WHERE handled"))
        })
        .await;
    assert!(
        !bodies.is_empty() && bodies.len() <= 4,
        "events are batched"
    );
    assert_eq!(events, 4);
    let all: Vec<u8> = bodies.concat();
    assert!(all.is_ascii(), "non-ASCII is escaped as \\uXXXX");
    let text = String::from_utf8(all).unwrap();
    assert!(text.contains(r"J\u00e4mf\u00f6r \/ \ud83d\ude00"));
    let stored_message = app
        .query(|c| {
            use diesel::prelude::*;
            use fanfare::db::schema::webhook_events::dsl::*;
            webhook_events
                .filter(item.eq("comment"))
                .select(message)
                .first::<Option<String>>(c)
                .unwrap()
        })
        .await;
    assert_eq!(stored_message.as_deref(), Some("Jämför / 😀 love it"));
}

#[tokio::test]
async fn the_sender_retries_until_answered_200() {
    // Point the sender at a port where nothing listens: deliveries fail and back off.
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: false,
        },
        |s| {
            s.sandbox.webhook_url = "http://127.0.0.1:9/webhooks/facebook".into();
        },
    )
    .await;
    app.query(|c| {
        use diesel::prelude::*;
        diesel::sql_query("INSERT INTO sandbox_subscriptions (page_id, fields) VALUES ('1111222233334444', 'feed')")
            .execute(c)
            .unwrap();
    })
    .await;
    let r = app
        .client
        .post(app.url("/sandbox/admin/webhooks"))
        .json(&json!({"page_id": BRAND_PAGE, "field": "feed", "value": {"item": "status", "verb": "add"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r: Value = app
        .client
        .post(app.url("/sandbox/admin/flush"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["outbox"]["pending"], 1);
    assert_eq!(r["outbox"]["retrying"], 1);
    let (attempts, later) = app
        .query(|c| {
            (
                count(
                    c,
                    "sandbox_webhook_outbox WHERE attempts = 1 AND last_error IS NOT NULL",
                ),
                count(c, "sandbox_webhook_outbox WHERE next_attempt_at > now()"),
            )
        })
        .await;
    assert_eq!((attempts, later), (1, 1));
}

#[tokio::test]
async fn live_mode_does_not_mount_the_sandbox() {
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: false,
        },
        |s| {
            s.facebook.mode = fanfare::config::FacebookMode::Live;
            s.facebook.app_id = "123".into();
            s.security.secret_key =
                fanfare::config::Secret::new("a-real-key-that-is-long-enough-0123456789");
        },
    )
    .await;
    for path in [
        "/sandbox/dialog/oauth",
        "/sandbox/v21.0/me",
        "/sandbox/admin/state",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

/// Deliveries Fanfare stored, as parsed envelopes.
async fn stored_envelopes(app: &TestApp) -> Vec<Value> {
    app.query(|c| {
        use diesel::prelude::*;
        use fanfare::db::schema::webhook_deliveries::dsl::*;
        let bodies: Vec<Vec<u8>> = webhook_deliveries.select(body).load(c).unwrap();
        bodies
            .iter()
            .map(|b| serde_json::from_slice(b).unwrap())
            .collect()
    })
    .await
}

#[tokio::test]
async fn events_queued_together_arrive_batched_with_several_entries_per_delivery() {
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: false,
        },
        |s| s.sandbox.webhook_batch = 4,
    )
    .await;
    // Ten events for two subscribed pages, queued in one transaction so the sender
    // sees them together (the admin endpoints wake it after every single event).
    app.query(|c| {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "INSERT INTO sandbox_subscriptions (page_id, fields) VALUES ('{BRAND_PAGE}', 'feed'), ('{COFFEE_PAGE}', 'feed')"
        ))
        .execute(c)
        .unwrap();
        c.transaction::<_, diesel::result::Error, _>(|c| {
            for i in 0..10 {
                let page = if i % 2 == 0 { BRAND_PAGE } else { COFFEE_PAGE };
                let value = json!({"item": "status", "verb": "add", "post_id": format!("{page}_{}", 900 + i), "message": format!("event {i}")});
                assert!(fanfare::platform::sandbox::store::queue_event(c, page, "feed", &value)?);
            }
            Ok(())
        })
        .unwrap();
    })
    .await;
    let r: Value = app
        .client
        .post(app.url("/sandbox/admin/flush"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["outbox"]["pending"], 0);
    let envelopes = stored_envelopes(&app).await;
    let changes = |e: &Value| -> usize {
        e["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|en| en["changes"].as_array().unwrap().len())
            .sum()
    };
    let total: usize = envelopes.iter().map(changes).sum();
    assert_eq!(total, 10, "every event is delivered once");
    // At most webhook_batch (4) events per delivery: 4 + 4 + 2.
    assert_eq!(
        envelopes.len(),
        3,
        "ten events in batches of four take three deliveries, not ten"
    );
    assert!(envelopes.iter().all(|e| changes(e) <= 4));
    assert!(
        envelopes
            .iter()
            .any(|e| e["entry"].as_array().unwrap().len() == 2 && changes(e) == 4),
        "a delivery carries an entry per page, each with several changes: {envelopes:?}"
    );
}

#[tokio::test]
async fn failed_deliveries_back_off_exponentially() {
    // Nothing listens on port 9: every attempt fails at once.
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: false,
        },
        |s| s.sandbox.webhook_url = "http://127.0.0.1:9/webhooks/facebook".into(),
    )
    .await;
    app.query(|c| {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "INSERT INTO sandbox_subscriptions (page_id, fields) VALUES ('{BRAND_PAGE}', 'feed')"
        ))
        .execute(c)
        .unwrap();
    })
    .await;
    let r = app
        .client
        .post(app.url("/sandbox/admin/webhooks"))
        .json(&json!({"page_id": BRAND_PAGE, "field": "feed", "value": {"item": "status", "verb": "add"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut delays = Vec::new();
    for attempt in 1..=4i64 {
        if attempt > 1 {
            // Make the retry due now instead of waiting for it.
            app.query(|c| {
                use diesel::prelude::*;
                diesel::sql_query(
                    "UPDATE sandbox_webhook_outbox SET next_attempt_at = now() WHERE delivered_at IS NULL",
                )
                .execute(c)
                .unwrap();
            })
            .await;
            app.client
                .post(app.url("/sandbox/admin/flush"))
                .send()
                .await
                .unwrap();
        }
        // The background sender or the flush makes the attempt; wait (bounded) for it
        // to be recorded, then read how far the next one was pushed.
        app.eventually("the attempt is recorded", move |c| {
            count(
                c,
                &format!("sandbox_webhook_outbox WHERE attempts = {attempt} AND last_error IS NOT NULL AND next_attempt_at < now() + interval '50 seconds'"),
            ) == 1
        })
        .await;
        let delay: f64 = app
            .query(|c| {
                use diesel::prelude::*;
                #[derive(QueryableByName)]
                struct D {
                    #[diesel(sql_type = diesel::sql_types::Double)]
                    d: f64,
                }
                diesel::sql_query(
                    "SELECT extract(epoch FROM next_attempt_at - now())::float8 AS d FROM sandbox_webhook_outbox",
                )
                .get_result::<D>(c)
                .unwrap()
                .d
            })
            .await;
        delays.push(delay);
    }
    // 1 s, 2 s, 4 s, 8 s after attempts 1..4 (1 s doubling): each wait about doubles.
    assert!(delays[0] > 0.5, "{delays:?}");
    for w in delays.windows(2) {
        assert!(w[1] > w[0] * 1.6, "the backoff grows: {delays:?}");
    }
}

#[tokio::test]
async fn the_latency_knob_delays_graph_calls_from_config_and_from_the_admin_endpoint() {
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: false,
        },
        |s| s.sandbox.latency_ms = 300,
    )
    .await;
    let token = user_token(&app, ADMIN_ALEX, "public_profile").await;
    let faults: Value = app.get("/sandbox/admin/faults").await.json().await.unwrap();
    assert_eq!(faults["latency_ms"], 300, "the config sets the knob");
    // A lower bound only: the call cannot be faster than the added latency.
    let started = std::time::Instant::now();
    let (status, _) = graph_get(&app, "me", &token, &[]).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let r = app
        .client
        .post(app.url("/sandbox/admin/faults"))
        .json(&json!({"latency_ms": 700}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let started = std::time::Instant::now();
    let (status, _) = graph_get(&app, "me", &token, &[]).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(700));
}

/// Every sandbox world table as sorted JSON rows, without row creation stamps and serials.
fn world_dump(conn: &mut diesel::PgConnection) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        row: String,
    }
    let mut out = Vec::new();
    for table in [
        "sandbox_users",
        "sandbox_pages",
        "sandbox_page_roles",
        "sandbox_posts",
        "sandbox_comments",
        "sandbox_reactions",
    ] {
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT '{table} ' || (to_jsonb(t) - 'created_at' - 'seq')::text AS row \
             FROM {table} t ORDER BY 1"
        ))
        .load(conn)
        .unwrap();
        assert!(!rows.is_empty(), "{table} is seeded");
        out.extend(rows.into_iter().map(|r| r.row));
    }
    out
}

#[tokio::test]
async fn seeding_is_deterministic_per_seed() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let settings = crate::helpers::test_settings("postgres://x@127.0.0.1/x");
    let (seed, fans) = (settings.sandbox.seed, settings.sandbox.fans);
    let dumps = tokio::task::spawn_blocking(move || {
        // The template was seeded by whichever test process built it; two fresh
        // databases seeded here with the same and with another seed.
        let template = crate::helpers::TestDb::new();
        let mut dumps = vec![world_dump(&mut template.conn())];
        for s in [seed, seed + 1] {
            let name = format!("fanfare_seed_{}", uuid::Uuid::new_v4().simple());
            let mut admin =
                diesel::PgConnection::establish(crate::helpers::server_url().as_str()).unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            {
                let mut c =
                    diesel::PgConnection::establish(&crate::helpers::db_url(&name)).unwrap();
                fanfare::db::run_migrations(&mut c).unwrap();
                assert!(fanfare::platform::sandbox::seed::ensure_seeded(&mut c, s, fans).unwrap());
                assert!(
                    !fanfare::platform::sandbox::seed::ensure_seeded(&mut c, s, fans).unwrap(),
                    "seeding happens once"
                );
                dumps.push(world_dump(&mut c));
            }
            admin
                .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .unwrap();
        }
        dumps
    })
    .await
    .unwrap();
    assert!(dumps[0] == dumps[1], "the same seed builds the same world");
    assert!(dumps[0] != dumps[2], "another seed builds another world");
}
