//! Usage headers: kept in client state, slowing calls down near the quota, and
//! pausing business objects that reported a time to regain access.

use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use super::*;
use crate::metrics::Metrics;
use crate::platform::facebook::graph::usage::slowdown_delay;
use crate::platform::facebook::graph::{GraphError, UsagePercent};

fn ok_with(header: &str, value: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"id":"7"}))
        .insert_header(header, value)
}

#[tokio::test]
async fn app_usage_is_kept_and_slows_the_next_call_proportionally() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ok_with(
            "x-app-usage",
            r#"{"call_count":88,"total_time":25,"total_cputime":25}"#,
        ))
        .mount(&h.server)
        .await;
    // Nothing known yet: no delay, no sleep.
    assert_eq!(h.client.planned_delay("me", None).unwrap(), Duration::ZERO);
    h.client.me(&user_token(), &[]).await.unwrap();
    assert!(h.clock.sleeps().is_empty());
    assert_eq!(
        h.client.usage().app,
        Some(UsagePercent {
            call_count: 88.0,
            total_time: 25.0,
            total_cputime: 25.0
        })
    );
    let planned = h.client.planned_delay("me", None).unwrap();
    assert_eq!(planned, slowdown_delay(88.0, 75));
    assert!(planned > Duration::ZERO);
    h.client.me(&user_token(), &[]).await.unwrap();
    assert_eq!(h.clock.sleeps(), vec![planned]);
}

#[tokio::test]
async fn usage_below_the_threshold_does_not_slow_down() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ok_with(
            "x-app-usage",
            r#"{"call_count":74,"total_time":1}"#,
        ))
        .mount(&h.server)
        .await;
    h.client.me(&user_token(), &[]).await.unwrap();
    h.client.me(&user_token(), &[]).await.unwrap();
    assert!(h.clock.sleeps().is_empty());
}

#[tokio::test]
async fn legacy_page_usage_counts_too() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(ok_with(
            "x-page-usage",
            r#"{"call_count":28,"total_time":25,"total_cputime":95}"#,
        ))
        .mount(&h.server)
        .await;
    h.client.me(&page_token(), &[]).await.unwrap();
    assert_eq!(h.client.usage().page.unwrap().total_cputime, 95.0);
    assert_eq!(
        h.client.planned_delay("me", None).unwrap(),
        slowdown_delay(95.0, 75)
    );
}

#[tokio::test]
async fn business_usage_pauses_the_object_and_calls_to_it_fail_fast() {
    let h = harness().await;
    let metrics = Metrics::new();
    let client = h.client.clone().with_metrics(Some(metrics.clone()));
    Mock::given(path(format!("{PREFIX}/42_1")))
        .respond_with(ok_with(
            "x-business-use-case-usage",
            r#"{"42":[{"type":"pages","call_count":100,"total_cputime":3,"total_time":4,"estimated_time_to_regain_access":2}]}"#,
        ))
        .expect(1)
        .mount(&h.server)
        .await;
    client
        .get::<Value>("42_1", &[], &user_token())
        .await
        .unwrap();
    assert_eq!(client.paused_for("42"), Some(Duration::from_secs(120)));

    // A post of page 42, the page itself, and any call with page 42's token.
    for (p, token) in [
        ("42_7/comments", user_token()),
        ("42", user_token()),
        ("me", page_token()),
    ] {
        let err = client.get::<Value>(p, &[], &token).await.unwrap_err();
        assert_eq!(
            err,
            GraphError::RateLimited {
                code: 80001,
                retry_after: Some(Duration::from_secs(120)),
                message: "object 42 is paused by a business use case rate limit; not sent".into(),
            },
            "{p}"
        );
    }
    assert!(matches!(
        client.planned_delay("42_7/comments", None),
        Err(GraphError::RateLimited { .. })
    ));
    assert_eq!(h.server.received_requests().await.unwrap().len(), 1);
    assert!(metrics
        .render()
        .contains(r#"fanfare_graph_calls_total{outcome="paused"} 3"#));

    // Other objects are unaffected.
    Mock::given(path(format!("{PREFIX}/99_1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id":"99_1"})))
        .expect(2)
        .mount(&h.server)
        .await;
    client
        .get::<Value>("99_1", &[], &user_token())
        .await
        .unwrap();

    // Once the pause is over, calls go out again.
    h.clock.advance(Duration::from_secs(121));
    assert_eq!(client.paused_for("42"), None);
    Mock::given(path(format!("{PREFIX}/42_7/comments")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data":[]})))
        .expect(1)
        .mount(&h.server)
        .await;
    client
        .get::<Value>("42_7/comments", &[], &user_token())
        .await
        .unwrap();
    // The BUC reading itself (call_count 100) still slows page 42 down, not 99.
    let page_42_delay = slowdown_delay(100.0, 75);
    assert_eq!(client.planned_delay("42_7", None).unwrap(), page_42_delay);
    assert_eq!(client.planned_delay("99_1", None).unwrap(), Duration::ZERO);
    client
        .get::<Value>("99_1", &[], &user_token())
        .await
        .unwrap();
    assert_eq!(h.clock.sleeps(), vec![page_42_delay]);
}

#[tokio::test]
async fn a_rate_limit_error_carries_the_regain_time_and_is_left_to_the_caller() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/42/feed")))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error":{"message":"(#80001) There have been too many calls to this Page account.","type":"OAuthException","code":80001,"fbtrace_id":"x"}}))
                .insert_header(
                    "x-business-use-case-usage",
                    r#"{"42":[{"type":"pages","call_count":104,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":5}]}"#,
                ),
        )
        .expect(1)
        .mount(&h.server)
        .await;
    let err = h
        .client
        .get::<Value>("42/feed", &[], &page_token())
        .await
        .unwrap_err();
    match err {
        GraphError::RateLimited {
            code: 80001,
            retry_after: Some(after),
            ..
        } => assert_eq!(after, Duration::from_secs(300)),
        other => panic!("{other:?}"),
    }
    // Minutes are not waited inline: no retry was sent, nothing slept.
    assert!(h.clock.sleeps().is_empty());
}

#[tokio::test]
async fn malformed_usage_headers_are_ignored() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id":"7"}))
                .insert_header("x-app-usage", "{{{")
                .insert_header("x-business-use-case-usage", "[1]"),
        )
        .mount(&h.server)
        .await;
    h.client.me(&user_token(), &[]).await.unwrap();
    assert_eq!(h.client.usage().app, None);
    assert!(h.client.usage().business.is_empty());
}
