//! Batch: chunks of 50, order kept, per-item errors, and reach refresh on top.

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use super::*;
use crate::platform::facebook::graph::{BatchRequest, GraphError, TokenOwner};

fn form(r: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&r.body).expect("form body")
}

fn field(r: &Request, name: &str) -> Option<String> {
    form(r).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn batch_of(r: &Request) -> Vec<Value> {
    serde_json::from_str(&field(r, "batch").expect("batch field")).expect("batch JSON")
}

/// Answers each item like Graph: `obj7` fails with code 100, `obj50` with a token
/// error when asked, `obj51` is null, others echo their id. Post ids (`1_n`)
/// get reach counters derived from n.
fn respond(r: &Request) -> ResponseTemplate {
    let items: Vec<Value> = batch_of(r)
        .iter()
        .map(|item| {
            let rel = item["relative_url"].as_str().unwrap_or_default();
            let id = rel.split('?').next().unwrap_or_default();
            match id {
                "obj7" => json!({"code":400,"headers":[],"body":
                    json!({"error":{"message":"Unsupported get request.","type":"GraphMethodException","code":100,"error_subcode":33}}).to_string()}),
                "obj51" => Value::Null,
                "expired" => json!({"code":400,"headers":[],"body":
                    json!({"error":{"message":"expired","type":"OAuthException","code":190,"error_subcode":463}}).to_string()}),
                _ if id.starts_with("1_") => {
                    let n: i64 = id[2..].parse().unwrap_or(-1);
                    let mut body = json!({
                        "id": id,
                        "reactions": {"data": [], "summary": {"total_count": n * 2}},
                        "comments": {"data": [], "summary": {"total_count": n * 3}}
                    });
                    if n % 2 == 1 {
                        body["shares"] = json!({"count": n});
                    }
                    json!({"code":200,"headers":[{"name":"Content-Type","value":"application/json"}],"body":body.to_string()})
                }
                _ => json!({"code":200,"headers":[],"body":json!({"id": id}).to_string()}),
            }
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(items)
}

async fn mount_batch(h: &Harness) {
    Mock::given(method("POST"))
        .and(path(format!("{PREFIX}/")))
        .respond_with(respond)
        .mount(&h.server)
        .await;
}

#[tokio::test]
async fn one_hundred_twenty_requests_take_three_calls_in_order_with_item_errors() {
    let h = harness().await;
    mount_batch(&h).await;
    let requests: Vec<BatchRequest> = (0..120)
        .map(|i| BatchRequest::get(format!("obj{i}?fields=id")))
        .collect();
    let results = h.client.batch(requests, &page_token()).await.unwrap();
    assert_eq!(results.len(), 120);
    for (i, r) in results.iter().enumerate() {
        match i {
            7 => assert!(
                matches!(
                    r,
                    Err(GraphError::BadRequest {
                        status: 400,
                        code: Some(100),
                        subcode: Some(33),
                        ..
                    })
                ),
                "{r:?}"
            ),
            51 => assert!(matches!(r, Err(GraphError::Unknown { .. })), "{r:?}"),
            _ => assert_eq!(r.as_ref().unwrap()["id"], format!("obj{i}")),
        }
    }
    let received = h.server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    let sizes: Vec<usize> = received.iter().map(|r| batch_of(r).len()).collect();
    assert_eq!(sizes, vec![50, 50, 20]);
    for r in &received {
        assert_eq!(field(r, "access_token").as_deref(), Some(TOKEN));
        assert_eq!(field(r, "appsecret_proof").as_deref(), Some(TOKEN_PROOF));
        assert_eq!(field(r, "include_headers").as_deref(), Some("false"));
        // The token travels in the body, not in the URL.
        assert_eq!(r.url.query(), None);
        assert_eq!(batch_of(r)[0]["method"], "GET");
    }
}

#[tokio::test]
async fn a_token_error_in_an_item_reaches_the_hook_once() {
    let h = harness().await;
    mount_batch(&h).await;
    let seen: Arc<std::sync::Mutex<Vec<TokenOwner>>> = Arc::default();
    let seen2 = seen.clone();
    let client = h
        .client
        .clone()
        .with_token_error_hook(Arc::new(move |o, _| seen2.lock().unwrap().push(o.clone())));
    let results = client
        .batch(
            vec![
                BatchRequest::get("expired"),
                BatchRequest::get("expired"),
                BatchRequest::get("fine"),
            ],
            &page_token(),
        )
        .await
        .unwrap();
    assert!(results[0].as_ref().unwrap_err().is_token_error());
    assert!(matches!(
        &results[1],
        Err(GraphError::Auth { owner: Some(TokenOwner::Page(p)), .. }) if p == "42"
    ));
    assert!(results[2].is_ok());
    assert_eq!(*seen.lock().unwrap(), vec![TokenOwner::Page("42".into())]);
}

#[tokio::test]
async fn malformed_batch_answers_are_errors_not_panics() {
    for (answer, whole_call_fails) in [
        (json!({"not":"an array"}), true),
        (json!([{"code":200,"body":"{}"}]), false), // one item for two requests
        (json!([{"code":200,"body":"not json"}, 5]), false),
    ] {
        let h = harness().await;
        Mock::given(path(format!("{PREFIX}/")))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer.clone()))
            .mount(&h.server)
            .await;
        let out = h
            .client
            .batch(
                vec![BatchRequest::get("a"), BatchRequest::get("b")],
                &page_token(),
            )
            .await;
        if whole_call_fails {
            assert!(matches!(out, Err(GraphError::Decode { .. })), "{out:?}");
        } else {
            let items = out.unwrap();
            assert_eq!(items.len(), 2);
            assert!(
                items
                    .iter()
                    .all(|i| matches!(i, Err(GraphError::Decode { .. }))),
                "{answer}: {items:?}"
            );
        }
    }
}

#[tokio::test]
async fn items_for_paused_objects_are_refused_without_sending_them() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/77")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id":"77"}))
                .insert_header(
                    "x-business-use-case-usage",
                    r#"{"77":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":1}]}"#,
                ),
        )
        .mount(&h.server)
        .await;
    mount_batch(&h).await;
    h.client
        .get::<Value>("77", &[], &user_token())
        .await
        .unwrap();
    let results = h
        .client
        .batch(
            vec![
                BatchRequest::get("77_1?fields=shares"),
                BatchRequest::get("obj1"),
            ],
            &user_token(),
        )
        .await
        .unwrap();
    assert!(
        matches!(
            &results[0],
            Err(GraphError::RateLimited {
                retry_after: Some(_),
                ..
            })
        ),
        "{:?}",
        results[0]
    );
    assert_eq!(results[1].as_ref().unwrap()["id"], "obj1");
    let received = h.server.received_requests().await.unwrap();
    let batch_call = received
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    assert_eq!(batch_of(batch_call).len(), 1);
}

#[tokio::test]
async fn reach_refresh_of_1000_posts_takes_20_requests() {
    let h = harness().await;
    mount_batch(&h).await;
    let mut ids: Vec<String> = (0..1000).map(|n| format!("1_{n}")).collect();
    ids[500] = "../evil".into();
    let results = h.client.reach_batch(&ids, &page_token()).await.unwrap();
    let received = h.server.received_requests().await.unwrap();
    assert_eq!(received.len(), 20, "at most 21 requests per 1,000 objects");
    assert_eq!(results.len(), 1000);
    for (n, (id, r)) in results.iter().enumerate() {
        assert_eq!(id, &ids[n]);
        if n == 500 {
            assert!(matches!(r, Err(GraphError::InvalidRequest { .. })), "{r:?}");
            continue;
        }
        let reach = r.as_ref().unwrap();
        let n = n as i64;
        assert_eq!(reach.reactions, n * 2);
        assert_eq!(reach.comments, n * 3);
        assert_eq!(reach.shares, if n % 2 == 1 { n } else { 0 });
    }
    // Each item asks for the reach fields.
    let first = batch_of(&received[0]);
    let rel = first[0]["relative_url"].as_str().unwrap();
    let url = url::Url::parse(&format!("http://x/{rel}")).unwrap();
    let fields: Vec<_> = url.query_pairs().filter(|(k, _)| k == "fields").collect();
    assert_eq!(
        fields[0].1,
        "shares,reactions.summary(total_count).limit(0),comments.summary(true).limit(0)"
    );
}
