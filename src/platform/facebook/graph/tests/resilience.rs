//! Timeouts, retries with backoff, error classification end to end, and
//! garbage answers.

use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use super::*;
use crate::platform::facebook::graph::retry::backoff_delay;
use crate::platform::facebook::graph::GraphError;

fn graph_error(code: i64) -> ResponseTemplate {
    let status = if code == 1 || code == 2 { 500 } else { 400 };
    ResponseTemplate::new(status)
        .set_body_json(json!({"error":{"message":"m","type":"OAuthException","code":code}}))
}

/// Asserts one backoff wait lies in `[base × 2^n, base × 2^n × 1.5]`.
fn assert_backoff(wait: Duration, attempt: u32) {
    let base = Duration::from_millis(100);
    let low = backoff_delay(base, attempt, 0.0);
    let high = backoff_delay(base, attempt, 1.0);
    assert!(wait >= low && wait <= high, "attempt {attempt}: {wait:?}");
}

#[tokio::test]
async fn server_errors_are_retried_with_exponential_backoff() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>oops</html>"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":"7"})))
        .expect(1)
        .mount(&h.server)
        .await;
    let me = h.client.me(&user_token(), &[]).await.unwrap();
    assert_eq!(me.id, "7");
    let sleeps = h.clock.sleeps();
    assert_eq!(sleeps.len(), 2, "{sleeps:?}");
    assert_backoff(sleeps[0], 0);
    assert_backoff(sleeps[1], 1);
}

#[tokio::test]
async fn transient_and_rate_limit_codes_are_retried() {
    for code in [1, 2, 4, 17, 32, 613, 80001] {
        let h = harness().await;
        Mock::given(path(format!("{PREFIX}/me")))
            .respond_with(graph_error(code))
            .up_to_n_times(1)
            .expect(1)
            .mount(&h.server)
            .await;
        Mock::given(path(format!("{PREFIX}/me")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":"7"})))
            .expect(1)
            .mount(&h.server)
            .await;
        let result = h.client.me(&user_token(), &[]).await;
        assert!(result.is_ok(), "code {code}: {result:?}");
        assert_eq!(h.clock.sleeps().len(), 1, "code {code}");
    }
}

#[tokio::test]
async fn retries_stop_at_max_retries() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(graph_error(2))
        .expect(3)
        .mount(&h.server)
        .await;
    let err = h.client.me(&user_token(), &[]).await.unwrap_err();
    assert!(
        matches!(err, GraphError::Transient { code: 2, .. }),
        "{err:?}"
    );
    assert_eq!(h.clock.sleeps().len(), 2);
}

#[tokio::test]
async fn other_errors_are_not_retried() {
    for (status, code) in [(400, 100), (400, 190), (403, 10), (403, 299), (400, 191)] {
        let h = harness().await;
        Mock::given(path(format!("{PREFIX}/me")))
            .respond_with(
                ResponseTemplate::new(status).set_body_json(json!({"error":{"code":code}})),
            )
            .expect(1)
            .mount(&h.server)
            .await;
        let err = h.client.me(&user_token(), &[]).await.unwrap_err();
        assert!(!err.is_retryable(), "{code}: {err:?}");
        assert!(h.clock.sleeps().is_empty(), "{code}");
    }
    // A 404 without a Graph body is a bad request, not retried.
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ResponseTemplate::new(404).set_body_string("not found"))
        .expect(1)
        .mount(&h.server)
        .await;
    let err = h.client.me(&user_token(), &[]).await.unwrap_err();
    assert!(
        matches!(
            err,
            GraphError::BadRequest {
                status: 404,
                code: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn network_errors_are_retried_typed_and_redacted() {
    // A port that was free a moment ago: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clock = ManualClock::new();
    let client = GraphClient::new(config(&format!("http://127.0.0.1:{port}")))
        .unwrap()
        .with_clock(Arc::new(clock.clone()));
    let err = client
        .get::<Value>("me", &[("fields", "id")], &user_token())
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Network { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(clock.sleeps().len(), 2, "max_retries = 2");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(TOKEN) && !text.contains(TOKEN_PROOF),
        "{text}"
    );
    assert!(text.contains("/v21.0/me?fields=id"), "{text}");
}

#[tokio::test]
async fn slow_answers_time_out_and_are_retried() {
    let h = harness_with(|c| {
        c.timeout = Duration::from_millis(200);
        c.max_retries = 1;
    })
    .await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id":"7"}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&h.server)
        .await;
    let err = h.client.me(&page_token(), &[]).await.unwrap_err();
    assert!(matches!(err, GraphError::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(h.server.received_requests().await.unwrap().len(), 2);
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(TOKEN) && !text.contains(TOKEN_PROOF),
        "{text}"
    );
}

#[tokio::test]
async fn garbage_answers_are_decode_errors_never_panics() {
    let bodies: Vec<ResponseTemplate> = vec![
        ResponseTemplate::new(200).set_body_string("{not json"),
        ResponseTemplate::new(200).set_body_string(""),
        ResponseTemplate::new(200).set_body_bytes(vec![0xff, 0xfe, 0x00, 0x01]),
        ResponseTemplate::new(200).set_body_string("<html>hello</html>"),
        // Valid JSON, wrong shape for `me` (no id; id an object).
        ResponseTemplate::new(200).set_body_json(json!([1, 2, 3])),
        ResponseTemplate::new(200).set_body_json(json!({"id":{"x":1}})),
    ];
    for body in bodies {
        let h = harness().await;
        Mock::given(path(format!("{PREFIX}/me")))
            .respond_with(body)
            .expect(1)
            .mount(&h.server)
            .await;
        let err = h.client.me(&user_token(), &[]).await.unwrap_err();
        assert!(matches!(err, GraphError::Decode { .. }), "{err:?}");
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn a_graph_error_in_a_200_answer_is_still_an_error() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"error":{"code":100,"message":"m"}})),
        )
        .mount(&h.server)
        .await;
    let err = h.client.me(&user_token(), &[]).await.unwrap_err();
    assert!(
        matches!(
            err,
            GraphError::BadRequest {
                code: Some(100),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn http_429_without_a_body_is_a_rate_limit_honouring_retry_after() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3"))
        .up_to_n_times(1)
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":"7"})))
        .mount(&h.server)
        .await;
    h.client.me(&user_token(), &[]).await.unwrap();
    assert_eq!(h.clock.sleeps(), vec![Duration::from_secs(3)]);
}
