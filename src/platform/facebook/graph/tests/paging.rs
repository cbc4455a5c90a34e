//! Paging: every page is fetched, with the proof, up to the safety cap.

use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, ResponseTemplate};

use super::*;
use crate::platform::facebook::graph::{GraphError, TokenOwner};

fn comments(page: usize) -> Vec<Value> {
    (0..25)
        .map(|i| {
            let n = page * 25 + i;
            json!({
                "id": format!("1_2_{n}"),
                "message": format!("entry {n}"),
                "from": {"id": format!("{}", 1000 + n), "name": "Fan"},
                "created_time": "2024-05-01T12:00:00+0000"
            })
        })
        .collect()
}

#[tokio::test]
async fn comment_harvest_follows_next_through_all_three_pages() {
    let h = harness().await;
    let base = format!("{}{PREFIX}/1_2/comments", h.server.uri());
    // Facebook's next URLs carry the token but not the proof.
    let next = |after: &str| format!("{base}?access_token={TOKEN}&limit=25&after={after}");
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/1_2/comments")))
        .and(query_param_is_missing("after"))
        .and(query_param("filter", "stream"))
        .and(query_param("appsecret_proof", TOKEN_PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": comments(0),
            "paging": {"cursors": {"before": "c0", "after": "c1"}, "next": next("c1")}
        })))
        .expect(1)
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/1_2/comments")))
        .and(query_param("after", "c1"))
        .and(query_param("access_token", TOKEN))
        .and(query_param("appsecret_proof", TOKEN_PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": comments(1),
            "paging": {"cursors": {"before": "c1", "after": "c2"}, "next": next("c2"),
                        "previous": next("c0")}
        })))
        .expect(1)
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{PREFIX}/1_2/comments")))
        .and(query_param("after", "c2"))
        .and(query_param("access_token", TOKEN))
        .and(query_param("appsecret_proof", TOKEN_PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": comments(2),
            "paging": {"cursors": {"before": "c2", "after": "c3"}}
        })))
        .expect(1)
        .mount(&h.server)
        .await;

    let all = h
        .client
        .post_comments_all("1_2", &page_token())
        .await
        .unwrap();
    assert_eq!(all.len(), 75);
    for (n, c) in all.iter().enumerate() {
        assert_eq!(c.id, format!("1_2_{n}"));
    }
    assert_eq!(all[74].message.as_deref(), Some("entry 74"));
    assert_eq!(all[0].from.as_ref().unwrap().id.as_deref(), Some("1000"));
    // Each request carried exactly one token and one proof.
    for r in h.server.received_requests().await.unwrap() {
        let pairs: Vec<_> = r.url.query_pairs().collect();
        assert_eq!(pairs.iter().filter(|(k, _)| k == "access_token").count(), 1);
        assert_eq!(
            pairs.iter().filter(|(k, _)| k == "appsecret_proof").count(),
            1
        );
    }
}

#[tokio::test]
async fn an_empty_page_with_next_does_not_end_the_walk() {
    let h = harness().await;
    let next = format!("{}{PREFIX}/1_2/comments?after=c1", h.server.uri());
    Mock::given(path(format!("{PREFIX}/1_2/comments")))
        .and(query_param_is_missing("after"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [], "paging": {"next": next}})),
        )
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/1_2/comments")))
        .and(query_param("after", "c1"))
        // The token is added when the next URL lacks it.
        .and(query_param("access_token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": "1_2_9"}]})))
        .expect(1)
        .mount(&h.server)
        .await;
    let all = h
        .client
        .post_comments_all("1_2", &page_token())
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn an_endless_walk_stops_at_the_cap() {
    let h = harness_with(|c| c.max_pages = 3).await;
    let next = format!("{}{PREFIX}/1_2/comments?after=again", h.server.uri());
    Mock::given(path(format!("{PREFIX}/1_2/comments")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id":"1_2_1"}], "paging": {"next": next}
        })))
        .expect(3)
        .mount(&h.server)
        .await;
    let err = h
        .client
        .post_comments_all("1_2", &page_token())
        .await
        .unwrap_err();
    assert_eq!(err, GraphError::PagingCapExceeded { pages: 3 });
}

#[tokio::test]
async fn a_next_url_off_the_graph_origin_is_not_followed() {
    let h = harness().await;
    Mock::given(path(format!("{PREFIX}/me/accounts")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id":"42","name":"P","access_token":"PT","tasks":["MANAGE"]}],
            "paging": {"next": "https://evil.example/v21.0/me/accounts?access_token=x&after=1"}
        })))
        .expect(1)
        .mount(&h.server)
        .await;
    let err = h.client.accounts(&user_token()).await.unwrap_err();
    assert!(matches!(err, GraphError::Decode { .. }), "{err:?}");
    assert!(!err.to_string().contains("access_token=x"), "{err}");
}

#[tokio::test]
async fn accounts_collects_every_page_with_typed_page_tokens() {
    let h = harness().await;
    let next = format!(
        "{}{PREFIX}/me/accounts?fields=id,name,access_token,tasks&after=p2&access_token={TOKEN}",
        h.server.uri()
    );
    Mock::given(path(format!("{PREFIX}/me/accounts")))
        .and(query_param("fields", "id,name,access_token,tasks"))
        .and(query_param_is_missing("after"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id":"42","name":"Shirts","access_token":"PAGE_TOKEN_42",
                      "tasks":["ANALYZE","ADVERTISE","MODERATE","CREATE_CONTENT","MANAGE"]}],
            "paging": {"cursors": {"before":"a","after":"p2"}, "next": next}
        })))
        .mount(&h.server)
        .await;
    Mock::given(path(format!("{PREFIX}/me/accounts")))
        .and(query_param("after", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id":43,"name":"Mugs","tasks":["ANALYZE"]}],
            "paging": {"cursors": {"before":"p2","after":"p3"}}
        })))
        .expect(1)
        .mount(&h.server)
        .await;
    let pages = h.client.accounts(&user_token()).await.unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].tasks.len(), 5);
    let t = pages[0].token().unwrap();
    assert_eq!(t.owner, TokenOwner::Page("42".into()));
    assert_eq!(t.value.expose(), "PAGE_TOKEN_42");
    assert_eq!(pages[1].id, "43");
    assert!(pages[1].token().is_none());
    assert!(!format!("{pages:?}").contains("PAGE_TOKEN_42"));
}
