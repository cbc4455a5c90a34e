//! Comment-to-enter: webhook comments and backfilled (missed) comments become
//! entries once each; edits and removals are reflected.

use fanfare::platform::sandbox::seed::{BRAND_PAGE, FIRST_FAN};
use serde_json::{json, Value};

use crate::helpers::{count, spawn_app};
use crate::support::{api, installed};

#[tokio::test]
async fn comments_become_entries_by_webhook_and_by_backfill_exactly_once() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let post = format!("{BRAND_PAGE}_556");
    let (st, c) = api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/contests",
        Some(json!({
            "page_id": inst.page_id, "kind": "comment_to_enter", "title": "Comment to win",
            "rules_text": "Comment on the post. One entry per person.", "auto_approve": true
        })),
    )
    .await;
    assert_eq!(st, 201);
    let id = c["id"].as_i64().unwrap();
    let (st, e) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{id}/transition"),
        Some(json!({"to": "open"})),
    )
    .await;
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (409, Some("post_required"))
    );
    api(
        &app,
        &inst.token,
        "PATCH",
        &format!("/api/v1/contests/{id}"),
        Some(json!({"linked_post_id": post})),
    )
    .await;
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{id}/transition"),
        Some(json!({"to": "open"})),
    )
    .await;
    assert_eq!(st, 200);

    let comment = |user: u64, message: &str, deliver: bool| {
        let app = &app;
        let body = json!({"post_id": post, "user_id": (FIRST_FAN + user).to_string(), "message": message, "deliver_webhook": deliver});
        async move {
            let r: Value = app
                .client
                .post(app.url("/sandbox/admin/comments"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r["comment_id"].as_str().unwrap().to_string()
        }
    };
    let delivered = comment(1, "Count me in! Love it", true).await;
    let missed = comment(2, "I want the hoodie", false).await;
    app.client
        .post(app.url("/sandbox/admin/flush"))
        .send()
        .await
        .unwrap();
    let d = delivered.clone();
    app.eventually("the webhook comment became an entry", move |c| {
        count(
            c,
            &format!("entries WHERE source = 'comment' AND comment_id = '{d}'"),
        ) == 1
    })
    .await;
    // Comments written before the contest opened (the seeded history) are not
    // entries, even though the backfill queued on opening pages through them.
    let (d, m) = (delivered.clone(), missed.clone());
    let history = app
        .query(move |c| {
            count(
                c,
                &format!("entries WHERE comment_id NOT IN ('{d}', '{m}')"),
            )
        })
        .await;
    assert_eq!(history, 0);
    let (st, _) = api(
        &app,
        &inst.token,
        "POST",
        &format!("/api/v1/contests/{id}/backfill"),
        None,
    )
    .await;
    assert_eq!(st, 202);
    let m = missed.clone();
    app.eventually("the missed comment was backfilled", move |c| {
        count(c, &format!("entries WHERE comment_id = '{m}'")) == 1
            && count(c, "jobs WHERE kind = 'backfill_comments'") == 0
    })
    .await;
    assert_eq!(
        app.query(|c| count(c, "entries")).await,
        2,
        "the delivered comment was not entered twice"
    );
    assert_eq!(
        app.query(|c| count(c, "activities WHERE kind = 'comment'"))
            .await,
        1,
        "one activity per comment"
    );

    // Edits and removals arrive as webhooks and are reflected.
    let edit = json!({"page_id": BRAND_PAGE, "field": "feed", "value": {
        "item": "comment", "verb": "edited", "comment_id": delivered, "post_id": post, "parent_id": post,
        "from": {"id": (FIRST_FAN + 1).to_string(), "name": "x"}, "message": "Edited: count me in twice", "created_time": chrono::Utc::now().timestamp()
    }});
    app.client
        .post(app.url("/sandbox/admin/webhooks"))
        .json(&edit)
        .send()
        .await
        .unwrap();
    let mut remove = edit.clone();
    remove["value"]["verb"] = json!("remove");
    remove["value"]["comment_id"] = json!(missed);
    app.client
        .post(app.url("/sandbox/admin/webhooks"))
        .json(&remove)
        .send()
        .await
        .unwrap();
    app.client
        .post(app.url("/sandbox/admin/flush"))
        .send()
        .await
        .unwrap();
    let (d, m) = (delivered.clone(), missed.clone());
    app.eventually("edit and removal applied", move |c| {
        count(
            c,
            &format!("entries WHERE comment_id = '{d}' AND text = 'Edited: count me in twice'"),
        ) == 1
            && count(
                c,
                &format!("entries WHERE comment_id = '{m}' AND status = 'disqualified'"),
            ) == 1
    })
    .await;
}
