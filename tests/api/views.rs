//! Fan page views leave the request path (`fanfare::views`) but are never
//! dropped: stored by the writer in batches, deduped like the database dedupes
//! them, linked to the person an authorised signed_request names, and still the
//! signal of the side-liner segment. No sleeps: `Views::flush` returns once
//! everything accepted before it is stored.

use fanfare::platform::facebook::signed_request::sign;
use fanfare::platform::sandbox::seed::BRAND_PAGE;
use serde_json::{json, Value};

use crate::accounts::browser;
use crate::crm::{fan, settled};
use crate::helpers::{count, spawn_app, spawn_app_with, Spawn, TestApp};
use crate::support::{api, installed, open_contest};

fn slug(c: &Value) -> String {
    c["slug"].as_str().unwrap().to_string()
}

/// Views in the database, read without flushing first (`TestApp::query` would).
async fn stored_views(app: &TestApp) -> i64 {
    let url = app.db.url.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut c = diesel::PgConnection::establish(&url).unwrap();
        count(&mut c, "activities WHERE kind = 'page_view'")
    })
    .await
    .unwrap()
}

fn signed(app: &TestApp, user: &str) -> String {
    sign(
        &json!({"algorithm": "HMAC-SHA256", "issued_at": chrono::Utc::now().timestamp(),
                "user_id": user, "page": {"id": BRAND_PAGE, "liked": true}}),
        app.app_secret().as_bytes(),
    )
}

async fn tab(app: &TestApp, b: &reqwest::Client, sr: &str) {
    let r = b
        .post(app.url("/tab"))
        .form(&[("signed_request", sr)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn views_are_stored_by_the_writer_and_deduped_per_browser_and_day() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let s = slug(&open_contest(&app, &inst, json!({})).await);
    let (ana, ben) = (browser(), browser());
    for b in [&ana, &ana, &ana, &ben] {
        let r = b.get(app.url(&format!("/c/{s}"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    app.state.views.flush().await;
    assert_eq!(stored_views(&app).await, 2, "one view per browser and day");
    assert_eq!(
        app.query(|c| count(c, "visitors WHERE contact_id IS NULL"))
            .await,
        2,
        "each anonymous browser is a visitor"
    );
}

#[tokio::test]
async fn a_full_buffer_makes_requests_wait_and_loses_no_view() {
    // Room for one view and batches of one: most requests find the buffer full.
    let app = spawn_app_with(Spawn::default(), |s| {
        s.views.buffer = 1;
        s.views.max_batch = 1;
    })
    .await;
    let inst = installed(&app).await;
    let s = slug(&open_contest(&app, &inst, json!({})).await);
    let n = 40;
    let pages = (0..n).map(|_| {
        let url = app.url(&format!("/c/{s}"));
        async move { browser().get(url).send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(pages).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    app.state.views.flush().await;
    assert_eq!(stored_views(&app).await, n, "every distinct view is stored");
}

/// With Postgres away the writer cannot store, the buffer fills, and a request
/// must not wait for room forever: after the pool's acquire timeout it is
/// answered 503, as any request that finds the database unavailable. Every view
/// of a page that was answered 200 is stored once Postgres is back.
#[tokio::test]
async fn with_the_database_away_a_full_buffer_answers_503_and_loses_no_answered_view() {
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: true,
        },
        |s| {
            s.views.buffer = 1;
            s.views.max_batch = 1;
            s.database.acquire_timeout_ms = 500;
        },
    )
    .await;
    let inst = installed(&app).await;
    let s = slug(&open_contest(&app, &inst, json!({})).await);
    // Warm the page caches, so the page itself needs no database.
    let r = browser()
        .get(app.url(&format!("/c/{s}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.state.views.flush().await;
    let before = stored_views(&app).await;
    app.proxy.as_ref().unwrap().cut();
    let pages = (0..6).map(|_| {
        let url = app.url(&format!("/c/{s}"));
        async move { browser().get(url).send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(pages).await;
    let ok = statuses.iter().filter(|s| **s == 200).count() as i64;
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().any(|s| *s == 503),
        "a full buffer answers 503: {statuses:?}"
    );
    app.proxy.as_ref().unwrap().restore();
    app.state.views.flush().await;
    assert_eq!(
        stored_views(&app).await,
        before + ok,
        "every view answered 200 is stored"
    );
}

#[tokio::test]
async fn an_authorised_signed_request_is_one_viewer_per_person_linked_to_their_contact() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let s = slug(&open_contest(&app, &inst, json!({})).await);
    let (known, new) = (fan(3), fan(31));
    // A person already known: they logged in once (no view recorded for them yet).
    crate::support::fan_logged_in(&app, &known, &s).await;
    // Then, in one batch: the known person from two browsers, and a new person.
    let (b1, b2, b3) = (browser(), browser(), browser());
    tab(&app, &b1, &signed(&app, &known)).await;
    tab(&app, &b2, &signed(&app, &known)).await;
    tab(&app, &b3, &signed(&app, &new)).await;
    app.state.views.flush().await;
    let (k, n) = (known.clone(), new.clone());
    let (views, contacts, visit_points) = app
        .query(move |c| {
            let of = |asid: &str| {
                format!(
                    "activities a JOIN contact_identities i ON i.contact_id = a.contact_id \
                     WHERE a.kind = 'page_view' AND i.kind = 'asid' AND i.value = '{asid}'"
                )
            };
            (
                (count(c, &of(&k)), count(c, &of(&n))),
                count(c, "contact_identities WHERE kind = 'asid'"),
                count(c, "point_awards WHERE reason = 'daily_visit'"),
            )
        })
        .await;
    assert_eq!(
        views,
        (1, 1),
        "one view per person and day, on their contact"
    );
    assert_eq!(
        contacts, 2,
        "the known person is found, the new one created"
    );
    assert_eq!(
        visit_points, 2,
        "the daily visit is awarded once per person"
    );
    // The browsers whose view was stored are linked to the person.
    let linked = app
        .query(move |c| {
            count(
                c,
                &format!(
                    "visitors v JOIN contact_identities i ON i.contact_id = v.contact_id \
                     WHERE i.kind = 'asid' AND i.value IN ('{known}', '{new}')"
                ),
            )
        })
        .await;
    assert!(linked >= 2, "{linked}");
}

#[tokio::test]
async fn views_still_make_side_liners() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    open_contest(&app, &inst, json!({})).await;
    let watcher = fan(22);
    tab(&app, &browser(), &signed(&app, &watcher)).await;
    settled(&app).await;
    app.query(|c| {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "INSERT INTO jobs (kind, payload, max_attempts) VALUES ('segments_refresh', '{}', 3)",
        )
        .execute(c)
        .unwrap()
    })
    .await;
    settled(&app).await;
    let w = watcher.clone();
    let members = app
        .query(move |c| {
            count(
                c,
                &format!(
                    "segment_memberships m JOIN segments s ON s.id = m.segment_id \
                     JOIN contact_identities i ON i.contact_id = m.contact_id \
                     WHERE s.key = 'side_liner' AND i.kind = 'asid' AND i.value = '{w}'"
                ),
            )
        })
        .await;
    assert_eq!(members, 1, "a fan who only looked is a side-liner");
    let (st, _) = api(
        &app,
        &inst.token,
        "GET",
        &format!("/api/v1/segments?page_id={}", inst.page_id),
        None,
    )
    .await;
    assert_eq!(st, 200);
}

/// Admin requests read their fans' writes: a page answered before the admin
/// asked is counted, even while its view still sits in the buffer. The writer
/// is held up by a lock on `visitors` (it writes there; the contact list does
/// not read it) until the admin's request has authenticated, which is the point
/// where it waits for the buffer; then the lock goes. Without that wait the
/// list is read at once and misses the new fan.
#[tokio::test]
async fn an_admin_read_includes_page_views_answered_before_it() {
    let app = spawn_app().await;
    let inst = installed(&app).await;
    open_contest(&app, &inst, json!({})).await;
    let list = format!("/api/v1/contacts?page_id={}", inst.page_id);
    let (status, before) = api(&app, &inst.token, "GET", &list, None).await;
    assert_eq!(status, 200, "{before}");
    let known = before["data"].as_array().unwrap().len();

    let (locked_tx, locked) = std::sync::mpsc::channel::<()>();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    let url = app.db.url.clone();
    let holder = std::thread::spawn(move || {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut c = diesel::PgConnection::establish(&url).unwrap();
        c.batch_execute("BEGIN; LOCK TABLE visitors IN EXCLUSIVE MODE")
            .unwrap();
        locked_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        c.batch_execute("COMMIT").unwrap();
    });
    locked.recv().unwrap();
    tab(&app, &browser(), &signed(&app, &fan(47))).await;

    let seen_before = session_seen(&app).await;
    let read = tokio::spawn({
        let (client, url, token) = (app.client.clone(), app.url(&list), inst.token.clone());
        async move {
            let r = client.get(url).bearer_auth(token).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    });
    // The admin's request has authenticated (its session was touched): let the
    // writer go.
    while session_seen(&app).await == seen_before {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    let (status, after) = read.await.unwrap();
    holder.join().unwrap();
    assert_eq!(status, 200, "{after}");
    assert_eq!(
        after["data"].as_array().unwrap().len(),
        known + 1,
        "the fan whose page was answered is listed: {after}"
    );
}

/// When an admin session was last seen, read without waiting for the view
/// buffer (`TestApp::query` flushes it, which the lock would hold up).
async fn session_seen(app: &TestApp) -> Option<chrono::DateTime<chrono::Utc>> {
    let url = app.db.url.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::{Connection, RunQueryDsl};
        let mut c = diesel::PgConnection::establish(&url).unwrap();
        diesel::select(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
        >("(SELECT max(last_seen_at) FROM admin_sessions)"))
        .get_result(&mut c)
        .unwrap()
    })
    .await
    .unwrap()
}

/// A browser that viewed the page and then entered has its view attributed to
/// the new contact, but earns the daily visit only for views made after it was
/// linked, whenever the writer stores them (it may run after the entry).
#[tokio::test]
async fn a_view_made_before_the_browser_was_linked_earns_no_daily_visit_however_late_it_is_stored()
{
    use fanfare::views::View;
    let app = spawn_app().await;
    let inst = installed(&app).await;
    let contest = open_contest(&app, &inst, json!({})).await;
    let cid = contest["id"].as_i64().unwrap();
    let page_id = inst.page_id;
    let daily_visits = app
        .query(move |c| {
            let contest = std::sync::Arc::new(fanfare::db::contests::find(c, cid).unwrap());
            let contact = fanfare::db::contacts::resolve(
                c,
                &fanfare::db::contacts::Observation {
                    page_id,
                    email: Some("late@fan.io".into()),
                    source: "fan_page",
                    ..Default::default()
                },
            )
            .unwrap()
            .contact_id;
            fanfare::db::visitors::link(c, "browser-late", page_id, contact).unwrap();
            let view = |at| View {
                contest: contest.clone(),
                visitor_id: "browser-late".into(),
                person: None,
                details: json!({}),
                at,
            };
            let now = chrono::Utc::now();
            let visits = |c: &mut diesel::PgConnection| {
                count(
                    c,
                    &format!(
                        "point_awards WHERE contact_id = {contact} AND reason = 'daily_visit'"
                    ),
                )
            };
            // Viewed a minute before the link, stored only now.
            fanfare::views::flush::store(c, &[view(now - chrono::Duration::minutes(1))]).unwrap();
            let early = (
                visits(c),
                count(
                    c,
                    &format!("activities WHERE kind = 'page_view' AND contact_id = {contact}"),
                ),
            );
            fanfare::views::flush::store(c, &[view(now + chrono::Duration::seconds(1))]).unwrap();
            (early, visits(c))
        })
        .await;
    assert_eq!(
        daily_visits,
        ((0, 1), 1),
        "(before the link: points, views attributed), after"
    );
}
