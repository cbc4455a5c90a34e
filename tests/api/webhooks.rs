//! The webhook edge: handshake, signatures over exact bytes, commit before 200,
//! deduplication, size limits, outages, events and their jobs.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use fanfare::platform::facebook::signature::{sign_sha1, sign_sha256};
use serde_json::Value;

use crate::helpers::{
    count, drain, spawn_app, spawn_app_with, spawn_app_without_workers, Spawn, TestApp,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/facebook/webhooks/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub async fn post_signed(app: &TestApp, body: &[u8]) -> reqwest::Response {
    let sig = sign_sha256(body, app.app_secret().as_bytes());
    app.client
        .post(app.url("/webhooks/facebook"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sig)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

async fn post_with_headers(
    app: &TestApp,
    body: &[u8],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/webhooks/facebook"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn stored_bodies(conn: &mut PgConnection) -> Vec<Vec<u8>> {
    use fanfare::db::schema::webhook_deliveries::dsl::*;
    webhook_deliveries
        .select(body)
        .order(id)
        .load(conn)
        .unwrap()
}

#[tokio::test]
async fn handshake_vectors() {
    let app = spawn_app_with(Spawn::default(), |s| {
        s.facebook.verify_token = fanfare::config::Secret::new("1qaz2wsx");
    })
    .await;
    let ok = app
        .get("/webhooks/facebook?hub.mode=subscribe&hub.verify_token=1qaz2wsx&hub.challenge=abc")
        .await;
    assert_eq!(ok.status(), 200);
    assert!(ok.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(ok.text().await.unwrap(), "abc");

    // Byte for byte, including characters that need decoding.
    let ok = app
        .get("/webhooks/facebook?hub.mode=subscribe&hub.verify_token=1qaz2wsx&hub.challenge=1158201444%2Bx%20y")
        .await;
    assert_eq!(ok.text().await.unwrap(), "1158201444+x y");

    for bad in [
        "/webhooks/facebook?hub.mode=subscribe&hub.verify_token=3edc4rfv&hub.challenge=abc",
        "/webhooks/facebook?hub.mode=unsubscribe&hub.verify_token=1qaz2wsx&hub.challenge=abc",
        "/webhooks/facebook?hub.verify_token=1qaz2wsx&hub.challenge=abc",
        "/webhooks/facebook",
    ] {
        assert_eq!(app.get(bad).await.status(), 403, "{bad}");
    }
}

#[tokio::test]
async fn every_signature_vector_is_verified_over_the_exact_bytes() {
    let vectors: Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/facebook/vectors.json"
        ))
        .unwrap(),
    )
    .unwrap();
    for v in vectors["webhook_signatures"].as_array().unwrap() {
        let secret = v["secret"].as_str().unwrap().to_string();
        let body = v["body"].as_str().unwrap().as_bytes().to_vec();
        let header = v["header"].as_str().unwrap();
        let value = v["value"].as_str().unwrap();
        let accept_sha1 = header == "X-Hub-Signature";
        let app = spawn_app_with(
            Spawn {
                workers: false,
                proxy: false,
            },
            |s| {
                s.facebook.app_secret = fanfare::config::Secret::new(secret.clone());
                s.facebook.accept_sha1 = accept_sha1;
            },
        )
        .await;
        let r = post_with_headers(&app, &body, &[(header, value)]).await;
        assert_eq!(r.status(), 200, "{v}");
        let stored = app.query(stored_bodies).await;
        assert_eq!(stored, vec![body.clone()], "stored bytes must be exact");
        // The same body signed over re-serialised JSON would differ: a one-byte change fails.
        let mut altered = body.clone();
        altered.push(b' ');
        let r = post_with_headers(&app, &altered, &[(header, value)]).await;
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn sha1_is_refused_unless_enabled() {
    let app = spawn_app_without_workers().await;
    let body = b"{}";
    let sha1 = sign_sha1(body, app.app_secret().as_bytes());
    let r = post_with_headers(&app, body, &[("x-hub-signature", &sha1)]).await;
    assert_eq!(r.status(), 401);
    assert_eq!(app.query(|c| count(c, "webhook_deliveries")).await, 0);
}

#[tokio::test]
async fn forged_signatures_get_401_store_nothing_and_are_counted() {
    let app = spawn_app_without_workers().await;
    let body = fixture("feed-comment-add");
    let good = sign_sha256(&body, app.app_secret().as_bytes());
    let wrong_secret = sign_sha256(&body, b"not-the-secret");
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("x-hub-signature-256", wrong_secret)],
        vec![("x-hub-signature-256", good.to_uppercase())],
        vec![("x-hub-signature-256", good[..40].to_string())],
        // Surrounding whitespace is not part of an HTTP header value; inner whitespace is.
        vec![("x-hub-signature-256", good.replacen('=', "= ", 1))],
        vec![("x-hub-signature-256", String::new())],
        vec![(
            "x-hub-signature",
            sign_sha1(&body, app.app_secret().as_bytes()),
        )],
    ];
    for headers in &cases {
        let hs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post_with_headers(&app, &body, &hs).await;
        assert_eq!(r.status(), 401, "{headers:?}");
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["error"]["code"], "bad_signature");
    }
    assert_eq!(app.query(|c| count(c, "webhook_deliveries")).await, 0);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let rejected: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("fanfare_webhook_rejections_total"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(rejected, cases.len() as u64);
    assert!(metrics.contains(r#"fanfare_webhook_rejections_total{reason="missing"} 1"#));
    assert!(metrics.contains(r#"fanfare_webhook_rejections_total{reason="mismatch"} 1"#));
}

#[tokio::test]
async fn unicode_escapes_and_escaped_slashes_are_stored_exactly_and_decoded() {
    let app = spawn_app().await;
    let body = br#"{"object":"page","entry":[{"id":"1111222233334444","time":1733300000,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"1_2","post_id":"1_1","from":{"id":"6001","name":"J\u00f6rg \u00c5str\u00f6m"},"created_time":1733299990,"message":"See https:\/\/example.com\/shirt \u2764"}}]}]}"#;
    let r = post_signed(&app, body).await;
    assert_eq!(r.status(), 200);
    app.eventually("the delivery is split into its event", |c| {
        count(c, "webhook_events WHERE processed_at IS NOT NULL") == 1
    })
    .await;
    let (stored, name, message): (Vec<u8>, Option<String>, Option<String>) = app
        .query(|c| {
            use fanfare::db::schema::{webhook_deliveries as d, webhook_events as e};
            let b = d::table.select(d::body).first(c).unwrap();
            let (n, m) = e::table
                .select((e::sender_name, e::message))
                .first(c)
                .unwrap();
            (b, n, m)
        })
        .await;
    assert_eq!(stored, body.to_vec());
    assert_eq!(name.as_deref(), Some("Jörg Åström"));
    assert_eq!(message.as_deref(), Some("See https://example.com/shirt ❤"));
}

#[tokio::test]
async fn a_thousand_change_batch_of_several_mb_is_accepted_and_oversize_is_413() {
    let app = spawn_app_without_workers().await;
    let filler = "x".repeat(3000);
    let changes: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                r#"{{"field":"feed","value":{{"item":"comment","verb":"add","comment_id":"555_{i}","post_id":"1111222233334444_555","from":{{"id":"{}","name":"Fan {i}"}},"created_time":1733299990,"message":"{filler}"}}}}"#,
                7000 + i
            )
        })
        .collect();
    let body = format!(
        r#"{{"object":"page","entry":[{{"id":"1111222233334444","time":1733300000,"changes":[{}]}}]}}"#,
        changes.join(",")
    );
    assert!(body.len() > 3_000_000, "batch is several MB");
    let r = post_signed(&app, body.as_bytes()).await;
    assert_eq!(r.status(), 200);
    // Acknowledged with the raw delivery and one job stored; the job splits it.
    let stored = |c: &mut PgConnection| {
        (
            count(c, "webhook_deliveries WHERE event_count = 1000"),
            count(c, "webhook_events WHERE processed_at IS NOT NULL"),
            count(c, "jobs WHERE kind = 'process_deliveries'"),
        )
    };
    assert_eq!(app.query(stored).await, (1, 0, 1));
    drain(&app, 10).await;
    assert_eq!(app.query(stored).await, (1, 1000, 0));
    assert_eq!(app.query(|c| count(c, "jobs")).await, 0);

    let big = vec![b' '; app.settings.facebook.max_body_bytes + 1];
    let r = post_signed(&app, &big).await;
    assert_eq!(r.status(), 413);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "payload_too_large");
    assert_eq!(app.query(|c| count(c, "webhook_deliveries")).await, 1);
}

#[tokio::test]
async fn oversize_is_413_even_without_a_content_length() {
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: false,
        },
        |s| s.facebook.max_body_bytes = 1024,
    )
    .await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..4).map(|_| Ok(vec![b'a'; 512])).collect();
    let stream = futures::stream::iter(chunks);
    let r = app
        .client
        .post(app.url("/webhooks/facebook"))
        .header(
            "x-hub-signature-256",
            "sha256=".to_string() + &"0".repeat(64),
        )
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(app.query(|c| count(c, "webhook_deliveries")).await, 0);
}

#[tokio::test]
async fn identical_redelivery_and_20_concurrent_copies_leave_one_row() {
    let app = spawn_app_without_workers().await;
    let body = fixture("feed-comment-add");
    assert_eq!(post_signed(&app, &body).await.status(), 200);
    let r = post_signed(&app, &body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "duplicate");

    let other = fixture("feed-reaction-add");
    let responses = futures::future::join_all((0..20).map(|_| post_signed(&app, &other))).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    let stored = |c: &mut PgConnection| {
        (
            count(c, "webhook_deliveries"),
            count(c, "webhook_events"),
            count(c, "jobs"),
        )
    };
    // One job per group that stored something; the copies stored nothing.
    assert_eq!(app.query(stored).await, (2, 0, 2));
    drain(&app, 10).await;
    assert_eq!(app.query(stored).await, (2, 2, 0));
}

#[tokio::test]
async fn unparseable_signed_bodies_are_kept_and_answered_200() {
    let app = spawn_app_without_workers().await;
    for body in [
        &b"rawBody"[..],
        b"{}",
        b"[1,2]",
        br#"{"object":"page","entry":7}"#,
    ] {
        let r = post_signed(&app, body).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["status"], "unparseable");
    }
    let unparseable = app
        .query(|c| count(c, "webhook_deliveries WHERE parse_status = 'unparseable'"))
        .await;
    assert_eq!(unparseable, 4);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains(r#"fanfare_webhook_deliveries_total{outcome="unparseable"} 4"#));
}

#[tokio::test]
async fn every_fixture_is_stored_with_typed_events_and_unknown_fields_kept() {
    let app = spawn_app_without_workers().await;
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/facebook/webhooks"
    );
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let body = std::fs::read(entry.unwrap().path()).unwrap();
        assert_eq!(post_signed(&app, &body).await.status(), 200);
        n += 1;
    }
    drain(&app, 100).await;
    let (deliveries, unknown, messaging, numeric_sender) = app
        .query(|c| {
            (
                count(c, "webhook_deliveries WHERE parse_status = 'parsed'"),
                count(
                    c,
                    "webhook_events WHERE field = 'live_videos' AND NOT handled AND value->>'status' = 'live'",
                ),
                count(c, "webhook_events WHERE kind = 'messaging' AND sender_id = '6008'"),
                count(c, "webhook_events WHERE verb = 'remove' AND sender_id ~ '^[0-9]+$'"),
            )
        })
        .await;
    assert_eq!(deliveries, n);
    assert_eq!(unknown, 1);
    assert_eq!(messaging, 1);
    assert!(numeric_sender >= 1);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"fanfare_webhook_events_total{field="feed",item="comment",verb="add"}"#)
    );
}

#[tokio::test]
async fn with_the_database_down_deliveries_get_503_and_the_retry_is_stored() {
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: true,
        },
        |s| s.database.acquire_timeout_ms = 500,
    )
    .await;
    let body = fixture("feed-comment-add");
    app.proxy.as_ref().unwrap().cut();
    let r = post_signed(&app, &body).await;
    assert_eq!(r.status(), 503);
    assert_eq!(app.query(|c| count(c, "webhook_deliveries")).await, 0);
    app.proxy.as_ref().unwrap().restore();
    let r = post_signed(&app, &body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "accepted");
    assert_eq!(app.query(|c| count(c, "webhook_deliveries")).await, 1);
}

#[tokio::test]
async fn workers_process_every_event_once() {
    let app = spawn_app().await;
    for name in ["feed-comment-add", "two-entries", "feed-share-add"] {
        assert_eq!(post_signed(&app, &fixture(name)).await.status(), 200);
    }
    app.eventually("all events processed and jobs drained", |c| {
        count(c, "webhook_events WHERE processed_at IS NULL") == 0 && count(c, "jobs") == 0
    })
    .await;
    assert_eq!(app.query(|c| count(c, "webhook_events")).await, 4);
}

#[tokio::test]
async fn metrics_count_accepted_duplicate_and_rejected_deliveries_queue_depth_and_latency() {
    use crate::support::{metric, scrape};
    let app = spawn_app_without_workers().await;
    let before = scrape(&app).await;
    const ACCEPTED: &str = r#"fanfare_webhook_deliveries_total{outcome="accepted"}"#;
    const DUPLICATE: &str = r#"fanfare_webhook_deliveries_total{outcome="duplicate"}"#;
    const MISMATCH: &str = r#"fanfare_webhook_rejections_total{reason="mismatch"}"#;
    const READY: &str = r#"fanfare_jobs_queue_depth{state="ready"}"#;
    const LATENCY: &str = r#"fanfare_http_request_duration_seconds_count{method="POST",route="/webhooks/facebook",status="2xx"}"#;
    const LATENCY_401: &str = r#"fanfare_http_request_duration_seconds_count{method="POST",route="/webhooks/facebook",status="4xx"}"#;
    for series in [ACCEPTED, DUPLICATE, MISMATCH, LATENCY, LATENCY_401] {
        assert_eq!(metric(&before, series), 0.0, "{series}");
    }
    assert_eq!(metric(&before, READY), 0.0);

    // Two different deliveries (one event and two events), one of them sent twice.
    let one = fixture("feed-comment-add");
    let two = fixture("two-entries");
    for body in [&one, &two, &one] {
        assert_eq!(post_signed(&app, body).await.status(), 200);
    }
    let forged = post_with_headers(
        &app,
        &one,
        &[("x-hub-signature-256", &sign_sha256(&one, b"not-the-secret"))],
    )
    .await;
    assert_eq!(forged.status(), 401);

    let jobs = app.query(|c| count(c, "jobs")).await;
    assert_eq!(jobs, 2, "one job per group that stored a delivery");
    let after = scrape(&app).await;
    assert_eq!(metric(&after, ACCEPTED), 2.0);
    assert_eq!(metric(&after, DUPLICATE), 1.0);
    assert_eq!(metric(&after, MISMATCH), 1.0);
    assert_eq!(metric(&after, READY), jobs as f64, "queue depth is sampled");
    assert_eq!(
        metric(&after, LATENCY),
        3.0,
        "every answered request is timed"
    );
    assert_eq!(metric(&after, LATENCY_401), 1.0);
    let sum = metric(
        &after,
        r#"fanfare_http_request_duration_seconds_sum{method="POST",route="/webhooks/facebook",status="2xx"}"#,
    );
    assert!(sum > 0.0, "latencies are recorded: {sum}");
    let inf = metric(
        &after,
        r#"fanfare_http_request_duration_seconds_bucket{method="POST",route="/webhooks/facebook",status="2xx",le="+Inf"}"#,
    );
    assert_eq!(inf, 3.0);
}

/// Ingest commits without NOTIFY (a notifying transaction holds a database-wide
/// lock through its commit, which would serialise concurrent groups), so workers in
/// other processes must still hear of new events from the NOTIFY sent after the
/// commit. A LISTENing connection of the test's own, like `fanfare worker` in
/// another process, receives it, and the delivery is already stored by then.
#[tokio::test]
async fn a_stored_delivery_notifies_workers_in_other_processes_after_its_commit() {
    let app = spawn_app_with(
        Spawn {
            workers: false,
            ..Spawn::default()
        },
        |_| {},
    )
    .await;
    let url = app.db.url.clone();
    let mut listener = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        conn.batch_execute(&format!("LISTEN {}", fanfare::db::jobs::CHANNEL))
            .unwrap();
        conn
    })
    .await
    .unwrap();
    assert_eq!(
        post_signed(&app, &fixture("feed-comment-add"))
            .await
            .status(),
        200
    );
    let stored = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            // An empty query reads whatever notifications the server has sent.
            listener.batch_execute("SELECT 1").unwrap();
            if listener.notifications_iter().any(|n| n.is_ok()) {
                return count(&mut listener, "jobs WHERE kind = 'process_deliveries'");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no NOTIFY within 10 s of a stored delivery"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    })
    .await
    .unwrap();
    assert_eq!(
        stored, 1,
        "the delivery's job was committed before the NOTIFY"
    );
}

fn comments(from: &[(&str, &str)], tag: &str) -> Vec<u8> {
    use fanfare::platform::sandbox::seed::BRAND_PAGE;
    let changes: Vec<Value> = from
        .iter()
        .enumerate()
        .map(|(i, (id, name))| {
            serde_json::json!({"field": "feed", "value": {"item": "comment", "verb": "add",
                "comment_id": format!("{tag}_{i}"), "post_id": format!("{BRAND_PAGE}_555"),
                "parent_id": format!("{BRAND_PAGE}_555"), "from": {"id": id, "name": name},
                "created_time": 1733299990, "message": "hello"}})
        })
        .collect();
    serde_json::json!({"object": "page", "entry": [{"id": BRAND_PAGE, "time": 1733300000,
        "changes": changes}]})
    .to_string()
    .into_bytes()
}

/// A group's events are applied together; when that fails, the group falls back
/// to one `process_event` job per event, so the good events are applied and only
/// the failing one retries (and would dead-letter on its own). The failure is
/// injected with a trigger that refuses one fan's contact.
#[tokio::test]
async fn a_group_with_a_poisonous_event_falls_back_to_one_job_per_event() {
    use fanfare::jobs::run_once;
    let app = spawn_app_without_workers().await;
    crate::support::installed(&app).await;
    app.query(|c| {
        c.batch_execute(
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.display_name = 'Poison Pill' THEN RAISE EXCEPTION 'poisoned'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON contacts \
             FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
        )
        .unwrap()
    })
    .await;
    let first = comments(&[("6101", "Good One"), ("6102", "Poison Pill")], "p1");
    let second = comments(&[("6103", "Good Two")], "p2");
    for body in [&first, &second] {
        assert_eq!(post_signed(&app, body).await.status(), 200);
    }
    assert_eq!(
        app.query(|c| count(c, "jobs WHERE kind = 'process_deliveries'"))
            .await,
        2
    );
    let (registry, ctx) = crate::helpers::job_runner(&app);
    let url = app.db.url.clone();
    let reports = tokio::task::spawn_blocking(move || {
        let mut c = PgConnection::establish(&url).unwrap();
        // Two passes: the group jobs, then the event jobs they queued. (Not until
        // empty: the failing job's retry may come due again at once.)
        (0..2)
            .map(|_| run_once(&registry, &ctx, &mut c, 10).unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    // Both group jobs succeeded (by falling back); then the three event jobs ran:
    // two applied, one failed and waits for its retry.
    assert_eq!((reports[0].claimed, reports[0].succeeded), (2, 2));
    assert_eq!(reports[1].claimed, 3);
    assert_eq!((reports[1].succeeded, reports[1].failed), (2, 1));
    let state = app
        .query(|c| {
            (
                count(c, "contacts WHERE display_name IN ('Good One', 'Good Two')"),
                count(c, "webhook_events WHERE processed_at IS NOT NULL"),
                count(
                    c,
                    "webhook_events WHERE processed_at IS NULL AND sender_name = 'Poison Pill'",
                ),
                count(
                    c,
                    "jobs WHERE kind = 'process_event' AND state = 'queued' AND attempts = 1 \
                     AND last_error LIKE '%poisoned%'",
                ),
                count(c, "jobs"),
            )
        })
        .await;
    assert_eq!(state, (2, 2, 1, 1, 1));
}

/// Two workers draining a backlog never deadlock each other. Each transaction
/// applies one round of events: a claim of more jobs than fit in one round runs
/// the first round and leaves the rest queued. Before, a claim of 100 jobs of 20
/// events ran two rounds in one transaction, each locking its senders in sorted
/// order; two workers whose first rounds held each other's second-round senders
/// deadlocked, and the victim's round fell back to one `process_event` job per
/// event. The backlog is laid out to provoke exactly that: in the first claim
/// the first half of the jobs comes from fans A and the second half from fans B,
/// in the next claim the other way round.
#[tokio::test(flavor = "multi_thread")]
async fn two_workers_draining_a_backlog_apply_one_round_per_transaction_without_deadlock() {
    use fanfare::jobs::run_once;
    let app = spawn_app_without_workers().await;
    crate::support::installed(&app).await;
    const JOBS: usize = 400;
    const EVENTS: usize = 20;
    let bodies: Vec<Vec<u8>> = (0..JOBS)
        .map(|j| {
            // Blocks of 50 jobs alternate between the two sets of fans, shifted
            // so that consecutive claims of 100 start with different sets.
            let set = if (j / 50) % 4 == 0 || (j / 50) % 4 == 3 {
                0
            } else {
                1
            };
            let fans: Vec<(String, String)> = (0..EVENTS)
                .map(|e| {
                    (
                        format!("{}", 7100 + set * 100 + e),
                        format!("Fan {set}-{e}"),
                    )
                })
                .collect();
            let refs: Vec<(&str, &str)> =
                fans.iter().map(|(i, n)| (i.as_str(), n.as_str())).collect();
            comments(&refs, &format!("dl{j}"))
        })
        .collect();
    app.query(move |c| {
        for body in &bodies {
            // One group, so one job, per delivery, with its weight.
            crate::helpers::store_parsed_delivery(c, body, EVENTS as i32, 8);
        }
    })
    .await;
    let (registry, ctx) = crate::helpers::job_runner(&app);
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (registry, ctx, url) = (registry.clone(), ctx.clone(), app.db.url.clone());
            tokio::task::spawn_blocking(move || {
                let mut c = PgConnection::establish(&url).unwrap();
                let mut reports = Vec::new();
                loop {
                    let r = run_once(&registry, &ctx, &mut c, 100).unwrap();
                    if r.claimed == 0 {
                        return reports;
                    }
                    reports.push(r);
                }
            })
        })
        .collect();
    let mut reports = Vec::new();
    for w in workers {
        reports.extend(w.await.unwrap());
    }
    // 20-event jobs: 50 make a round of 1,000 events; the rest of a claim waits.
    assert!(reports.iter().all(|r| r.succeeded <= 50), "{reports:?}");
    assert!(reports.iter().any(|r| r.deferred > 0), "{reports:?}");
    assert_eq!(reports.iter().map(|r| r.succeeded).sum::<usize>(), JOBS);
    let state = app
        .query(|c| {
            (
                count(c, "jobs"),
                count(c, "webhook_events WHERE processed_at IS NOT NULL"),
                count(c, "activities WHERE kind = 'comment'"),
            )
        })
        .await;
    // No job per event: no round fell back.
    assert_eq!(state, (0, (JOBS * EVENTS) as i64, (JOBS * EVENTS) as i64));
}
