//! signed_request callbacks: deauthorize and data deletion.

use fanfare::platform::facebook::signed_request::sign;
use serde_json::{json, Value};

use crate::helpers::{count, drain, spawn_app, spawn_app_without_workers, TestApp};
use crate::webhooks::post_signed;

pub fn signed(app: &TestApp, payload: Value) -> String {
    sign(&payload, app.app_secret().as_bytes())
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub async fn post_form(app: &TestApp, path: &str, sr: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(&[("signed_request", sr)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn deauthorize_records_the_revocation() {
    let app = spawn_app().await;
    let sr = signed(
        &app,
        json!({"algorithm":"HMAC-SHA256","issued_at":now(),"user_id":"4001"}),
    );
    let r = post_form(&app, "/facebook/deauthorize", &sr).await;
    assert_eq!(r.status(), 200);
    let page = signed(
        &app,
        json!({"algorithm":"HMAC-SHA256","issued_at":now(),"user_id":"0","profile_id":"1111222233334444"}),
    );
    assert_eq!(
        post_form(&app, "/facebook/deauthorize", &page)
            .await
            .status(),
        200
    );
    let (users, pages) = app
        .query(|c| {
            (
                count(c, "deauthorizations WHERE app_scoped_user_id = '4001'"),
                count(c, "deauthorizations WHERE app_scoped_user_id = '0' AND profile_id = '1111222233334444'"),
            )
        })
        .await;
    assert_eq!((users, pages), (1, 1));
}

#[tokio::test]
async fn forged_stale_and_future_callbacks_change_nothing() {
    let app = spawn_app().await;
    let forged = sign(
        &json!({"algorithm":"HMAC-SHA256","issued_at":now(),"user_id":"4001"}),
        b"wrong-secret",
    );
    let stale = signed(
        &app,
        json!({"algorithm":"HMAC-SHA256","issued_at":now() - 90_000,"user_id":"4001"}),
    );
    let future = signed(
        &app,
        json!({"algorithm":"HMAC-SHA256","issued_at":now() + 3_600,"user_id":"4001"}),
    );
    let other_alg = signed(
        &app,
        json!({"algorithm":"HMAC-SHA1","issued_at":now(),"user_id":"4001"}),
    );
    for path in ["/facebook/deauthorize", "/facebook/data-deletion"] {
        for sr in [&forged, &stale, &future, &other_alg] {
            let r = post_form(&app, path, sr).await;
            assert_eq!(r.status(), 401, "{path}");
        }
        let r = app
            .client
            .post(app.url(path))
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
    }
    let (deauths, deletions) = app
        .query(|c| (count(c, "deauthorizations"), count(c, "deletion_requests")))
        .await;
    assert_eq!((deauths, deletions), (0, 0));
}

#[tokio::test]
async fn data_deletion_answers_a_code_and_erases_the_persons_webhook_data() {
    let app = spawn_app().await;
    // The person commented on the page; another fan did too.
    let body = br#"{"object":"page","entry":[{"id":"1111222233334444","time":1733300000,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"1_1","post_id":"1_9","from":{"id":"4242","name":"Erin Erasable"},"created_time":1733299990,"message":"my private words"}},{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"1_2","post_id":"1_9","from":{"id":"5151","name":"Kept Person"},"created_time":1733299991,"message":"stays"}}]}]}"#;
    assert_eq!(post_signed(&app, body).await.status(), 200);

    let sr = signed(
        &app,
        json!({"algorithm":"HMAC-SHA256","issued_at":now(),"user_id":"4242"}),
    );
    let r = post_form(&app, "/facebook/data-deletion", &sr).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let answer: Value = r.json().await.unwrap();
    let code = answer["confirmation_code"].as_str().unwrap().to_string();
    assert!(code.len() >= 32);
    assert_eq!(
        answer["url"].as_str().unwrap(),
        format!("{}/facebook/data-deletion/{code}", app.address)
    );

    app.eventually("deletion completed", |c| {
        count(c, "deletion_requests WHERE status = 'completed'") == 1
    })
    .await;
    let (leaks, kept) = app
        .query(|c| {
            (
                count(
                    c,
                    "webhook_deliveries WHERE position('Erin'::bytea in body) > 0 OR position('private words'::bytea in body) > 0",
                ) + count(c, "webhook_events WHERE sender_id = '4242' OR sender_name LIKE 'Erin%' OR value::text LIKE '%private words%'"),
                count(c, "webhook_events WHERE sender_name = 'Kept Person'"),
            )
        })
        .await;
    assert_eq!(leaks, 0, "no trace of the person remains");
    assert_eq!(kept, 1, "other people's data is untouched");
    // The anonymised event still counts towards aggregates.
    assert_eq!(app.query(|c| count(c, "webhook_events")).await, 2);

    // Status page: HTML by default, JSON on request.
    let html = app.get(&format!("/facebook/data-deletion/{code}")).await;
    assert_eq!(html.status(), 200);
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let text = html.text().await.unwrap();
    assert!(text.contains("Completed"));
    assert!(text.contains(&code));
    let json: Value = app
        .client
        .get(app.url(&format!("/facebook/data-deletion/{code}")))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["status"], "completed");
    assert_eq!(json["report"]["webhook_events"], 1);
}

/// A delivery is acknowledged before its job splits it into events, and the
/// erasure finds a person's data through the events. A deletion that runs while
/// the split is still waiting (here: its job backing off) must split it first,
/// or the person's comment would survive in the raw body and reappear later.
#[tokio::test]
async fn a_deletion_first_splits_deliveries_still_waiting_for_their_job() {
    let app = spawn_app_without_workers().await;
    let body = br#"{"object":"page","entry":[{"id":"1111222233334444","time":1733300000,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"1_1","post_id":"1_9","from":{"id":"4242","name":"Erin Erasable"},"created_time":1733299990,"message":"my private words"}},{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"1_2","post_id":"1_9","from":{"id":"5151","name":"Kept Person"},"created_time":1733299991,"message":"stays"}}]}]}"#;
    assert_eq!(post_signed(&app, body).await.status(), 200);
    let waiting = app
        .query(|c| {
            diesel::RunQueryDsl::execute(
                diesel::sql_query(
                    "UPDATE jobs SET run_at = now() + interval '1 hour', attempts = 1 \
                     WHERE kind = 'process_deliveries'",
                ),
                c,
            )
            .unwrap()
        })
        .await;
    assert_eq!(waiting, 1, "the delivery's job is waiting");
    let sr = signed(
        &app,
        json!({"algorithm":"HMAC-SHA256","issued_at":now(),"user_id":"4242"}),
    );
    assert_eq!(
        post_form(&app, "/facebook/data-deletion", &sr)
            .await
            .status(),
        200
    );
    drain(&app, 10).await;
    let (completed, leaks, kept, events, split_jobs) = app
        .query(|c| {
            (
                count(c, "deletion_requests WHERE status = 'completed'"),
                count(
                    c,
                    "webhook_deliveries WHERE position('Erin'::bytea in body) > 0 OR position('private words'::bytea in body) > 0",
                ) + count(c, "webhook_events WHERE sender_id = '4242' OR sender_name LIKE 'Erin%' OR value::text LIKE '%private words%'"),
                count(c, "webhook_events WHERE sender_name = 'Kept Person' AND processed_at IS NOT NULL"),
                count(c, "webhook_events"),
                count(c, "jobs WHERE kind = 'process_deliveries'"),
            )
        })
        .await;
    assert_eq!(completed, 1);
    assert_eq!(leaks, 0, "no trace of the person remains");
    assert_eq!(kept, 1, "the other fan's event was split and applied");
    assert_eq!(events, 2);
    assert_eq!(split_jobs, 0, "the waiting job was settled by the deletion");
}

#[tokio::test]
async fn unknown_users_still_get_a_code_and_unknown_codes_404() {
    let app = spawn_app().await;
    let sr = signed(
        &app,
        json!({"algorithm":"HMAC-SHA256","issued_at":now(),"user_id":"never-seen"}),
    );
    let r = post_form(&app, "/facebook/data-deletion", &sr).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    assert!(answer["confirmation_code"].as_str().unwrap().len() >= 32);
    assert_eq!(
        app.get("/facebook/data-deletion/not-a-real-code")
            .await
            .status(),
        404
    );
}
