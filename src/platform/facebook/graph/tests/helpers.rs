//! The typed helpers against the answer shapes in the platform doc.

use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, ResponseTemplate};

use super::*;
use crate::platform::facebook::graph::posts::REACH_FIELDS;
use crate::platform::facebook::graph::{GraphError, PostReach, SubscribedApp};

#[tokio::test]
async fn exchange_code_sends_the_documented_parameters() {
    let h = harness().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/oauth/access_token")))
        .and(query_param("client_id", APP_ID))
        .and(query_param(
            "redirect_uri",
            "https://fanfare.test/auth/facebook/callback",
        ))
        .and(query_param("client_secret", APP_SECRET))
        .and(query_param("code", "the_code"))
        .and(query_param_is_missing("access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token":"USER_TOKEN","token_type":"bearer","expires_in":5183976}),
        ))
        .expect(1)
        .mount(&h.server)
        .await;
    let t = h
        .client
        .exchange_code("the_code", "https://fanfare.test/auth/facebook/callback")
        .await
        .unwrap();
    assert_eq!(t.access_token.expose(), "USER_TOKEN");
    assert_eq!(t.token_type.as_deref(), Some("bearer"));
    assert_eq!(t.expires_in, Some(5183976));
}

#[tokio::test]
async fn exchange_code_error_is_typed_and_secret_free() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/oauth/access_token")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error":{
            "message":"redirect_uri isn't an absolute URI. Check RFC 3986.",
            "code":191,"type":"OAuthException","fbtrace_id":"123Abc"}})))
        .mount(&h.server)
        .await;
    let err = h.client.exchange_code("the_code", "cb").await.unwrap_err();
    assert_eq!(
        err,
        GraphError::BadRequest {
            status: 400,
            code: Some(191),
            subcode: None,
            message: "redirect_uri isn't an absolute URI. Check RFC 3986.".into()
        }
    );
}

#[tokio::test]
async fn exchange_long_lived_uses_fb_exchange_token() {
    let h = harness().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/oauth/access_token")))
        .and(query_param("grant_type", "fb_exchange_token"))
        .and(query_param("client_id", APP_ID))
        .and(query_param("client_secret", APP_SECRET))
        .and(query_param("fb_exchange_token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token":"LONG","token_type":"bearer","expires_in":"5183944"}),
        ))
        .expect(1)
        .mount(&h.server)
        .await;
    let t = h.client.exchange_long_lived(&user_token()).await.unwrap();
    assert_eq!(t.access_token.expose(), "LONG");
    assert_eq!(t.expires_in, Some(5183944));
}

#[tokio::test]
async fn me_keeps_extra_fields() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me")))
        .and(query_param("fields", "id,name,email,locale"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id":1207059,"name":"Ann","email":"ann@example.test","locale":"de_DE"}),
        ))
        .mount(&h.server)
        .await;
    let me = h
        .client
        .me(&user_token(), &["id", "name", "email", "locale"])
        .await
        .unwrap();
    assert_eq!(me.id, "1207059");
    assert_eq!(me.email.as_deref(), Some("ann@example.test"));
    assert_eq!(me.extra["locale"], "de_DE");
}

#[tokio::test]
async fn subscribe_app_posts_fields_and_accepts_every_success_shape() {
    for answer in [json!({"success":true}), json!(true), json!("true")] {
        let h = harness().await;
        Mock::given(method("POST"))
            .and(path(format!("{PREFIX}/42/subscribed_apps")))
            .and(query_param("subscribed_fields", "feed,mention"))
            .and(query_param("access_token", TOKEN))
            .and(query_param("appsecret_proof", TOKEN_PROOF))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer.clone()))
            .expect(1)
            .mount(&h.server)
            .await;
        let ok = h
            .client
            .subscribe_app("42", &page_token(), &["feed", "mention"])
            .await
            .unwrap();
        assert!(ok, "{answer}");
    }
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/42/subscribed_apps")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"weird":1})))
        .mount(&h.server)
        .await;
    let err = h
        .client
        .subscribe_app("42", &page_token(), &["feed"])
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Decode { .. }));
}

#[tokio::test]
async fn subscribed_apps_lists_apps_and_fields() {
    let h = harness().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/42/subscribed_apps")))
        .and(query_param("appsecret_proof", TOKEN_PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data":[
            {"category":"Business","link":"https://fanfare.test","name":"Fanfare","id":"123",
             "subscribed_fields":["feed","mention"]},
            {"name":"Other","id":456,"subscribed_fields":[{"name":"feed","version":1}]}
        ]})))
        .mount(&h.server)
        .await;
    let apps = h.client.subscribed_apps("42", &page_token()).await.unwrap();
    assert_eq!(
        apps,
        vec![
            SubscribedApp {
                id: Some("123".into()),
                name: Some("Fanfare".into()),
                subscribed_fields: vec!["feed".into(), "mention".into()]
            },
            SubscribedApp {
                id: Some("456".into()),
                name: Some("Other".into()),
                subscribed_fields: vec!["feed".into()]
            },
        ]
    );
}

#[tokio::test]
async fn friends_count_reads_the_summary_and_survives_a_missing_permission() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me/friends")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"summary":{"total_count":23},"data":[]})),
        )
        .up_to_n_times(1)
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/me/friends")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data":[]})))
        .up_to_n_times(1)
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/me/friends")))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"error":{"message":"(#200) Requires user_friends","type":"OAuthException","code":200}}),
        ))
        .up_to_n_times(1)
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/me/friends")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error":{"code":190}})))
        .mount(&h.server)
        .await;
    let t = user_token();
    assert_eq!(h.client.friends_count(&t).await.unwrap(), Some(23));
    assert_eq!(h.client.friends_count(&t).await.unwrap(), None);
    assert_eq!(h.client.friends_count(&t).await.unwrap(), None);
    assert!(h
        .client
        .friends_count(&t)
        .await
        .unwrap_err()
        .is_token_error());
}

#[tokio::test]
async fn post_reach_asks_the_summary_fields_and_defaults_shares_to_zero() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/1_2")))
        .and(query_param("fields", REACH_FIELDS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "shares":{"count":4},
            "reactions":{"data":[],"summary":{"total_count":11}},
            "comments":{"data":[],"summary":{"order":"ranked","total_count":5,"can_comment":true}},
            "id":"1_2"
        })))
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/1_3")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "reactions":{"data":[],"summary":{"total_count":2}},
            "comments":{"data":[],"summary":{"total_count":0}},
            "id":"1_3"
        })))
        .mount(&h.server)
        .await;
    let t = page_token();
    assert_eq!(
        h.client.post_reach("1_2", &t).await.unwrap(),
        PostReach {
            shares: 4,
            reactions: 11,
            comments: 5
        }
    );
    assert_eq!(
        h.client.post_reach("1_3", &t).await.unwrap(),
        PostReach {
            shares: 0,
            reactions: 2,
            comments: 0
        }
    );
}

#[tokio::test]
async fn post_insight_reads_one_metric_and_survives_unknown_metrics() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/1_2/insights")))
        .and(query_param("metric", "post_clicks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data":[{
            "name":"post_clicks","period":"lifetime",
            "values":[{"value":17}],"title":"Post clicks","id":"1_2/insights/post_clicks/lifetime"
        }]})))
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/1_2/insights")))
        .and(query_param("metric", "post_impressions"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error":{
            "message":"(#100) The value must be a valid insights metric","type":"OAuthException","code":100}})))
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/1_2/insights")))
        .and(query_param("metric", "post_media_view"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error":{"code":190}})))
        .mount(&h.server)
        .await;
    let t = page_token();
    assert_eq!(
        h.client
            .post_insight("1_2", "post_clicks", &t)
            .await
            .unwrap(),
        Some(17)
    );
    assert_eq!(
        h.client
            .post_insight("1_2", "post_impressions", &t)
            .await
            .unwrap(),
        None
    );
    assert!(h
        .client
        .post_insight("1_2", "post_media_view", &t)
        .await
        .unwrap_err()
        .is_token_error());
}

#[tokio::test]
async fn malformed_ids_are_refused_before_any_request() {
    let h = harness().await;
    let t = page_token();
    for bad in ["", "1/../me", "1?x=y", "a b", ".."] {
        assert!(
            matches!(
                h.client.post_reach(bad, &t).await,
                Err(GraphError::InvalidRequest { .. })
            ),
            "{bad}"
        );
        assert!(
            matches!(
                h.client.subscribe_app(bad, &t, &["feed"]).await,
                Err(GraphError::InvalidRequest { .. })
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        h.client.post_insight("1_2", "a&b", &t).await,
        Err(GraphError::InvalidRequest { .. })
    ));
    assert!(h.server.received_requests().await.unwrap().is_empty());
}
