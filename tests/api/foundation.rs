//! Service foundation: health, readiness, errors, pool exhaustion, migrations.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;

use crate::helpers::{spawn_app, spawn_app_with, Spawn, TestDb};

#[tokio::test]
async fn healthz_and_readyz_answer_200() {
    let app = spawn_app().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["database"],
        "ok"
    );
}

#[tokio::test]
async fn unknown_routes_get_a_json_404() {
    let app = spawn_app().await;
    let r = app.get("/no/such/thing").await;
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/no/such/thing"));
}

#[tokio::test]
async fn readyz_follows_the_database_down_and_back_up() {
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: true,
        },
        // The default: a cut database is reported after the pool's timeout.
        |s| s.database.acquire_timeout_ms = 2000,
    )
    .await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.proxy.as_ref().unwrap().cut();
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    // healthz never touches the database.
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.proxy.as_ref().unwrap().restore();
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_not_a_hung_request() {
    let app = spawn_app_with(Spawn::default(), |s| {
        s.database.pool_size = 1;
        s.database.acquire_timeout_ms = 300;
        s.worker.concurrency = 0;
    })
    .await;
    let pool = app.state.db.pool().clone();
    let held = tokio::task::spawn_blocking(move || pool.get().unwrap())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    drop(held);
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn connections_carry_a_statement_timeout() {
    let app = spawn_app_with(Spawn::default(), |s| {
        s.database.statement_timeout_ms = 1234;
    })
    .await;
    let pool = app.state.db.pool().clone();
    let timeout: String = tokio::task::spawn_blocking(move || {
        #[derive(QueryableByName)]
        struct T {
            #[diesel(sql_type = diesel::sql_types::Text)]
            statement_timeout: String,
        }
        let mut conn = pool.get().unwrap();
        diesel::sql_query("SHOW statement_timeout")
            .get_result::<T>(&mut conn)
            .unwrap()
            .statement_timeout
    })
    .await
    .unwrap();
    assert_eq!(timeout, "1234ms");
}

/// Columns of every user table, for comparing schemas.
fn schema_dump(conn: &mut PgConnection) -> Vec<(String, String, String, String)> {
    #[derive(QueryableByName)]
    struct Col {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        data_type: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        is_nullable: String,
    }
    diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public' \
         ORDER BY table_name, column_name",
    )
    .load::<Col>(conn)
    .unwrap()
    .into_iter()
    .map(|c| (c.table_name, c.column_name, c.data_type, c.is_nullable))
    .collect()
}

#[test]
fn migrations_run_up_down_and_up_again() {
    let db = TestDb::new();
    let mut conn = db.conn();
    // The template is already migrated: revert everything first.
    let up_schema = schema_dump(&mut conn);
    assert!(up_schema.iter().any(|c| c.0 == "webhook_deliveries"));
    conn.revert_all_migrations(fanfare::db::MIGRATIONS).unwrap();
    let empty = schema_dump(&mut conn);
    assert!(
        empty.iter().all(|c| c.0 == "__diesel_schema_migrations"),
        "down migrations left tables behind: {empty:?}"
    );
    let applied = fanfare::db::run_migrations(&mut conn).unwrap();
    assert!(!applied.is_empty());
    assert_eq!(schema_dump(&mut conn), up_schema);
    conn.batch_execute("SELECT 1").unwrap();
}

#[test]
fn serve_creates_a_missing_database() {
    let name = format!("fanfare_create_{}", uuid::Uuid::new_v4().simple());
    let url = crate::helpers::db_url(&name);
    assert!(fanfare::db::create_database_if_missing(&url).unwrap());
    assert!(!fanfare::db::create_database_if_missing(&url).unwrap());
    let mut settings = crate::helpers::test_settings(&url);
    settings.database.create_if_missing = true;
    fanfare::db::prepare(&settings.database).unwrap();
    let mut conn = PgConnection::establish(&url).unwrap();
    assert!(crate::helpers::count(&mut conn, "webhook_deliveries") == 0);
    drop(conn);
    let mut admin = PgConnection::establish(crate::helpers::server_url().as_str()).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
}

#[tokio::test]
async fn json_and_form_bodies_over_their_limits_get_413_in_the_error_shape() {
    let app = spawn_app_with(Spawn::default(), |s| {
        s.server.json_body_limit_bytes = 4096;
    })
    .await;
    let inst = crate::support::installed(&app).await;
    let assert_413 = |status: u16, body: &serde_json::Value, what: &str| {
        assert_eq!(status, 413, "{what}: {body}");
        assert_eq!(body["error"]["code"], "payload_too_large", "{what}: {body}");
        assert!(body["error"]["message"].is_string(), "{what}: {body}");
    };
    // Just under the limit the body is read (and judged on its content) ...
    let small = serde_json::json!({"page_id": inst.page_id, "title": "x".repeat(3000)});
    let (status, body) =
        crate::support::api(&app, &inst.token, "POST", "/api/v1/contests", Some(small)).await;
    assert_ne!(status, 413, "{body}");
    // ... over it, 413 without reading further.
    let big = serde_json::json!({"page_id": inst.page_id, "title": "x".repeat(5000)});
    let (status, body) =
        crate::support::api(&app, &inst.token, "POST", "/api/v1/contests", Some(big)).await;
    assert_413(status, &body, "JSON body over server.json_body_limit_bytes");

    // Form bodies (fan page and Facebook callbacks) are capped at 64 KiB.
    let r = app
        .client
        .post(app.url("/facebook/deauthorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("signed_request={}", "a".repeat(70 * 1024)))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_413(status, &body, "form body over 64 KiB");
    let r = app
        .client
        .post(app.url("/facebook/deauthorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("signed_request={}", "a".repeat(1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "a small form is read and its signature checked"
    );
}
