//! URLs, authentication, redaction, the token-error hook, the version header
//! and metrics.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::metrics::Metrics;
use crate::platform::facebook::graph::{GraphError, TokenOwner};

#[tokio::test]
async fn urls_are_base_version_path_and_carry_token_and_proof() {
    let h = harness().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/me")))
        .and(query_param("fields", "id,name"))
        .and(query_param("access_token", TOKEN))
        .and(query_param("appsecret_proof", TOKEN_PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":"7","name":"Ann"})))
        .expect(1)
        .mount(&h.server)
        .await;
    let me = h.client.me(&user_token(), &["id", "name"]).await.unwrap();
    assert_eq!(me.id, "7");
    assert_eq!(me.name.as_deref(), Some("Ann"));
}

#[tokio::test]
async fn live_style_base_url_without_prefix_works_the_same() {
    let server = MockServer::start().await;
    let client = GraphClient::new(config(&server.uri())).unwrap();
    Mock::given(method("GET"))
        .and(path("/v21.0/1_2"))
        .and(query_param("appsecret_proof", TOKEN_PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":"1_2"})))
        .expect(1)
        .mount(&server)
        .await;
    let v: Value = client.get("/1_2", &[], &page_token()).await.unwrap();
    assert_eq!(v["id"], "1_2");
}

#[tokio::test]
async fn app_token_is_id_pipe_secret_with_its_proof() {
    let h = harness().await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/debug_token")))
        .and(query_param("input_token", "some_user_token"))
        .and(query_param("access_token", "123|foo_secret"))
        .and(query_param(
            "appsecret_proof",
            "de753c58fd58b03afca2340bbaeb4ecf987b5de4c09e39a63c944dd25efbc234",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data":{
            "app_id":"123","type":"PAGE","application":"Fanfare","is_valid":true,
            "expires_at":0,"scopes":["pages_show_list","pages_manage_metadata"],
            "user_id":"7","profile_id":"42"
        }})))
        .expect(1)
        .mount(&h.server)
        .await;
    let d = h
        .client
        .debug_token(&Secret::new("some_user_token"))
        .await
        .unwrap();
    assert!(d.is_valid);
    assert!(d.never_expires());
    assert_eq!(d.profile_id.as_deref(), Some("42"));
    assert_eq!(d.scopes, vec!["pages_show_list", "pages_manage_metadata"]);
}

#[tokio::test]
async fn a_query_in_the_path_is_refused_before_sending() {
    let h = harness().await;
    let err = h
        .client
        .get::<Value>("me?access_token=x", &[], &user_token())
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::InvalidRequest { .. }), "{err:?}");
    assert!(h.server.received_requests().await.unwrap().is_empty());
}

/// What the hook saw: the owner and the error code.
type Seen = (TokenOwner, Option<i64>);

#[tokio::test]
async fn auth_errors_name_the_owner_and_call_the_hook() {
    let h = harness().await;
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let seen2 = seen.clone();
    let client = h
        .client
        .clone()
        .with_token_error_hook(Arc::new(move |owner, err| {
            seen2.lock().unwrap().push((owner.clone(), err.code()));
        }));
    Mock::given(path(format!("{PREFIX}/42/feed")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error":{
            "message":"Error validating access token: Session has expired",
            "type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A1"}})))
        .expect(1)
        .mount(&h.server)
        .await;
    let err = client
        .get::<Value>("42/feed", &[], &page_token())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        GraphError::Auth {
            code: 190,
            subcode: Some(463),
            message: "Error validating access token: Session has expired".into(),
            owner: Some(TokenOwner::Page("42".into())),
        }
    );
    assert!(err.is_token_error());
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(TokenOwner::Page("42".into()), Some(190))]
    );

    // A short token rejected during the long-lived exchange is blamed on its user.
    Mock::given(path(format!("{PREFIX}/oauth/access_token")))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}),
        ))
        .mount(&h.server)
        .await;
    let err = client.exchange_long_lived(&user_token()).await.unwrap_err();
    assert!(err.is_token_error());
    assert_eq!(seen.lock().unwrap()[1].0, TokenOwner::User("7".into()));

    // Other auth codes count as token errors too.
    for code in [102, 450, 452, 2500] {
        let server = MockServer::start().await;
        let c = GraphClient::new(config(&server.uri()))
            .unwrap()
            .with_token_error_hook({
                let seen = seen.clone();
                Arc::new(move |owner, err| seen.lock().unwrap().push((owner.clone(), err.code())))
            });
        Mock::given(path("/v21.0/me"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error":{"code":code}})))
            .mount(&server)
            .await;
        c.get::<Value>("me", &[], &user_token()).await.unwrap_err();
        assert_eq!(
            seen.lock().unwrap().last().unwrap(),
            &(TokenOwner::User("7".into()), Some(code))
        );
    }
}

#[tokio::test]
async fn other_errors_do_not_call_the_hook() {
    let h = harness().await;
    let calls = Arc::new(Mutex::new(0));
    let calls2 = calls.clone();
    let client = h
        .client
        .clone()
        .with_token_error_hook(Arc::new(move |_, _| *calls2.lock().unwrap() += 1));
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"error":{"message":"(#200) Permissions error","type":"OAuthException","code":200}}),
        ))
        .mount(&h.server)
        .await;
    let err = client
        .get::<Value>("me", &[], &user_token())
        .await
        .unwrap_err();
    assert!(
        matches!(err, GraphError::Permission { code: 200, .. }),
        "{err:?}"
    );
    assert_eq!(*calls.lock().unwrap(), 0);
}

#[tokio::test]
async fn the_api_version_header_is_exposed() {
    let h = harness().await;
    assert_eq!(h.client.api_version_seen(), None);
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id":"7"}))
                .insert_header("facebook-api-version", "v21.0"),
        )
        .mount(&h.server)
        .await;
    h.client.me(&user_token(), &[]).await.unwrap();
    assert_eq!(h.client.api_version_seen().as_deref(), Some("v21.0"));
    // Clones share the state.
    assert_eq!(
        h.client.clone().api_version_seen().as_deref(),
        Some("v21.0")
    );
}

#[tokio::test]
async fn metrics_count_each_attempt_by_outcome() {
    let h = harness().await;
    let metrics = Metrics::new();
    let client = h.client.clone().with_metrics(Some(metrics.clone()));
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":"7"})))
        .mount(&h.server)
        .await;
    client.me(&user_token(), &[]).await.unwrap();
    Mock::given(path(format!("{PREFIX}/x")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error":{"code":100}})))
        .mount(&h.server)
        .await;
    client
        .get::<Value>("x", &[], &user_token())
        .await
        .unwrap_err();
    let text = metrics.render();
    assert!(
        text.contains(r#"fanfare_graph_calls_total{outcome="ok"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"fanfare_graph_calls_total{outcome="unknown"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"fanfare_graph_calls_total{outcome="bad_request"} 1"#),
        "{text}"
    );
}

/// Errors never carry secrets. (What the client *logs* is checked at process level
/// by tests/logs.rs, which runs the real binary and reads its stderr: a
/// thread-local subscriber inside this parallel test binary proved unreliable.)
#[tokio::test]
async fn errors_never_show_tokens_or_secrets() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/oauth/access_token")))
        .and(query_param_is_missing("access_token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error":{
            "message":"This authorization code has been used. code=the_code",
            "code":100,"error_subcode":36009}})))
        .mount(&h.server)
        .await;
    let err = h
        .client
        .exchange_code("the_code", "https://fanfare.test/cb")
        .await
        .unwrap_err();
    let err2 = h
        .client
        .exchange_long_lived(&user_token())
        .await
        .unwrap_err();
    let everything = format!("{err}\n{err:?}\n{err2}\n{err2:?}");
    for secret in [TOKEN, TOKEN_PROOF, APP_SECRET, "the_code"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }
}
