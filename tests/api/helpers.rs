//! Test harness: the real application on port 0, against a fresh database of its
//! own cloned from a migrated template, with an HTTP client.

use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use fanfare::config::{Settings, Sources};
use fanfare::startup::{Application, BuildOptions};
use fanfare::state::AppState;

use super::proxy::DbProxy;

/// Server URL from DATABASE_URL (its path is ignored), else the local default.
pub fn server_url() -> url::Url {
    let raw = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut url = url::Url::parse(&raw).expect("DATABASE_URL is a URL");
    url.set_path("/postgres");
    // Local test servers need no TLS, and without it libpq never touches OpenSSL:
    // a pool thread still connecting while the test binary exits could otherwise
    // crash in OpenSSL's exit-time cleanup (diesel-rs/diesel#3441).
    if !url.query_pairs().any(|(k, _)| k == "sslmode") {
        url.query_pairs_mut().append_pair("sslmode", "disable");
    }
    url
}

pub fn db_url(name: &str) -> String {
    let mut url = server_url();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

fn admin_conn() -> PgConnection {
    PgConnection::establish(server_url().as_str()).expect("Postgres must be reachable for tests")
}

/// Name of the migrated template for the current migrations (hash of their text).
fn template_name() -> String {
    let mut files: Vec<_> = walk(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations"
    )));
    // The template also holds the seeded sandbox world.
    files.push(concat!(env!("CARGO_MANIFEST_DIR"), "/src/platform/sandbox/seed.rs").into());
    files.sort();
    let mut all = Vec::new();
    for f in files {
        all.extend(f.to_string_lossy().as_bytes());
        all.extend(std::fs::read(&f).unwrap());
    }
    format!("fanfare_tpl_{}", &fanfare::crypto::sha256_hex(&all)[..16])
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Builds the template once per machine (guarded by an advisory lock across test
/// processes), built under a temporary name and renamed so it is never half-made.
pub fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = template_name();
        let mut admin = admin_conn();
        admin
            .batch_execute("SELECT pg_advisory_lock(7242002)")
            .unwrap();
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
        )))
        .get_result(&mut admin)
        .unwrap();
        if !exists {
            let building = format!("{name}_building");
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {building}"))
                .unwrap();
            {
                let mut conn = PgConnection::establish(&db_url(&building)).unwrap();
                fanfare::db::run_migrations(&mut conn).unwrap();
                // Seed the sandbox world once, in the template, with the test settings.
                let s = test_settings(&db_url(&building));
                fanfare::platform::sandbox::seed::ensure_seeded(
                    &mut conn,
                    s.sandbox.seed,
                    s.sandbox.fans,
                )
                .unwrap();
            }
            admin
                .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                .unwrap();
        }
        admin
            .batch_execute("SELECT pg_advisory_unlock(7242002)")
            .unwrap();
        name
    })
}

/// A fresh database cloned from the template; dropped when the guard drops.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        let tpl = template();
        let name = format!("fanfare_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = admin_conn();
        // Concurrent clones of one template are fine; retry the rare "being accessed".
        let mut tries = 0;
        loop {
            match admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {tpl}")) {
                Ok(()) => break,
                Err(e) if tries < 50 && e.to_string().contains("being accessed") => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => panic!("cannot create test database: {e}"),
            }
        }
        TestDb {
            url: db_url(&name),
            name,
        }
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(mut admin) = PgConnection::establish(server_url().as_str()) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// Settings for a test: defaults, port 0, quiet logs, the given database.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::load_from(&Sources {
        config_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/config").into()),
        environment: None,
        env_vars: vec![("DATABASE_URL".into(), database_url.into())],
    })
    .expect("default settings load");
    settings.server.port = 0;
    settings.server.http_workers = 2;
    settings.database.pool_size = 8;
    // Tests run in parallel on a busy 2-core machine: a request waiting its turn
    // for a pooled connection must not turn into a 503 there. The tests of the
    // pool timeout itself set their own short value.
    settings.database.acquire_timeout_ms = 30_000;
    settings.database.create_if_missing = false;
    settings.worker.concurrency = 1;
    settings.worker.poll_interval_ms = 200;
    settings.worker.backoff_base_ms = 10;
    settings.worker.backoff_max_ms = 50;
    settings.sandbox.fans = 50;
    settings.sandbox.demo = false;
    // Each test stores uploads in a directory of its own.
    settings.uploads.dir = std::env::temp_dir().join(format!(
        "fanfare-test-uploads-{}",
        uuid::Uuid::new_v4().simple()
    ));
    settings
}

pub fn init_test_logging() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            let mut log = test_settings("postgres://x@127.0.0.1/x").log;
            log.level = "debug".into();
            fanfare::telemetry::init(&log);
        }
    });
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub db: TestDb,
    pub proxy: Option<DbProxy>,
    pub settings: Settings,
}

pub struct Spawn {
    pub workers: bool,
    /// Route the app's database traffic through a proxy the test can cut.
    pub proxy: bool,
}

impl Default for Spawn {
    fn default() -> Self {
        Spawn {
            workers: true,
            proxy: false,
        }
    }
}

/// The job registry and context of the app, for tests that run queued jobs over a
/// connection of their own with `fanfare::jobs::run_once`, as a worker in another
/// process would. Call from within the test's runtime.
/// Stores one parsed delivery with `events` events as its own ingest group (so
/// with its own `process_deliveries` job), as ingest stores it: keyed by the raw
/// SHA-256 of the body. Asserts it was new.
pub fn store_parsed_delivery(conn: &mut PgConnection, body: &[u8], events: i32, max_attempts: i32) {
    use fanfare::db::webhooks::{insert_group, NewDelivery};
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body);
    let row = NewDelivery {
        body,
        body_sha256: &digest,
        signature: "sha256=test",
        parse_status: "parsed",
        parse_error: None,
        object: Some("page"),
        event_count: events,
    };
    assert_eq!(insert_group(conn, &[row], max_attempts).unwrap().len(), 1);
}

pub fn job_runner(app: &TestApp) -> (fanfare::jobs::Registry, fanfare::jobs::JobContext) {
    let mut registry = fanfare::jobs::Registry::new();
    fanfare::jobs::handlers::register_all(&mut registry);
    let ctx = fanfare::jobs::JobContext {
        settings: app.state.settings.clone(),
        metrics: app.state.metrics.clone(),
        runtime: tokio::runtime::Handle::current(),
        services: app.state.services.clone(),
    };
    (registry, ctx)
}

/// Runs every queued job with `run_once(batch)` until the queue is empty, then
/// refreshes dirty segment memberships, as the worker does once it has drained
/// the queue. Fails the test if a job fails.
pub async fn drain(app: &TestApp, batch: i64) {
    use fanfare::jobs::run_once;
    let (registry, ctx) = job_runner(app);
    let url = app.db.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = PgConnection::establish(&url).unwrap();
        loop {
            let r = run_once(&registry, &ctx, &mut c, batch).unwrap();
            assert_eq!(r.failed, 0, "{r:?}");
            if r.claimed == 0 {
                break;
            }
        }
        fanfare::jobs::worker::refresh_segments(&mut c, &ctx.settings.segments).unwrap();
    })
    .await
    .unwrap();
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Spawn::default(), |_| {}).await
}

/// The app without its in-process job workers: the test runs jobs itself.
pub async fn spawn_app_without_workers() -> TestApp {
    spawn_app_with(
        Spawn {
            workers: false,
            proxy: false,
        },
        |_| {},
    )
    .await
}

pub async fn spawn_app_with(opts: Spawn, customize: impl FnOnce(&mut Settings)) -> TestApp {
    init_test_logging();
    let db = tokio::task::spawn_blocking(TestDb::new).await.unwrap();
    let proxy = if opts.proxy {
        Some(DbProxy::start(5432).await)
    } else {
        None
    };
    let app_db_url = match &proxy {
        Some(p) => {
            let mut u = url::Url::parse(&db.url).unwrap();
            u.set_port(Some(p.port())).unwrap();
            u.to_string()
        }
        None => db.url.clone(),
    };
    let mut settings = test_settings(&app_db_url);
    customize(&mut settings);
    let app = Application::build_with(
        settings.clone(),
        BuildOptions {
            workers: opts.workers,
            sandbox_only: false,
        },
    )
    .await
    .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        db,
        proxy,
        settings,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Runs a query against the test database on a blocking thread, after the
    /// page views the app has buffered are stored (`fanfare::views`), so a test
    /// sees every view its requests caused.
    pub async fn query<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PgConnection) -> R + Send + 'static,
    ) -> R {
        self.state.views.flush().await;
        let url = self.db.url.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            f(&mut conn)
        })
        .await
        .unwrap()
    }

    pub fn app_secret(&self) -> String {
        self.settings.facebook.app_secret.expose().to_string()
    }

    /// Waits (bounded) until `check` holds, re-evaluating it against the database.
    /// Used for effects of background workers; fails the test at the deadline.
    pub async fn eventually<F>(&self, what: &str, mut check: F)
    where
        F: FnMut(&mut PgConnection) -> bool + Send + 'static,
    {
        self.state.views.flush().await;
        let url = self.db.url.clone();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let what = what.to_string();
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            loop {
                if check(&mut conn) {
                    return;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "timed out waiting for: {what}"
                );
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
        })
        .await
        .unwrap()
    }
}

/// `SELECT count(*) FROM <table> [WHERE ...]` as i64.
pub fn count(conn: &mut PgConnection, sql_from_where: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT count(*) AS n FROM {sql_from_where}"))
        .get_result::<N>(conn)
        .unwrap()
        .n
}
