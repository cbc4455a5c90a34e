//! Postgres access: the r2d2 pool, database creation, embedded migrations, and the
//! one way handlers run diesel work ([`Db::run`]).
//!
//! Queries live in the submodules as plain functions taking `&mut PgConnection`;
//! they know nothing about HTTP. Handlers call them through [`Db::run`], which
//! checks out a connection *inside* the blocking task, because an r2d2 checkout can
//! block for up to `database.acquire_timeout_ms`.

pub mod activities;
pub mod admins;
pub mod audit;
pub mod consents;
pub mod contacts;
pub mod contests;
pub mod crm;
pub mod deletion_requests;
pub mod draws;
pub mod email;
pub mod entries;
pub mod fan_tokens;
pub mod jobs;
pub mod judging;
pub mod metrics;
pub mod oauth_states;
pub mod pages;
pub mod points;
pub mod polls;
pub mod prepared;
pub mod privacy;
pub mod rate_limits;
pub mod referrals;
pub mod rotation;
pub mod schema;
pub mod segments;
pub mod tokens;
pub mod trends;
pub mod visitors;
pub mod votes;
pub mod webhooks;

use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseSettings;
use crate::error::AppError;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PgPooled = PooledConnection<ConnectionManager<PgConnection>>;

/// Applies per-connection settings when r2d2 opens a connection.
#[derive(Debug, Clone, Copy)]
struct ConnectionSetup {
    statement_timeout_ms: u64,
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "SET statement_timeout = {}; SET idle_in_transaction_session_timeout = 60000; SET application_name = 'fanfare'",
            self.statement_timeout_ms
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The pool plus the helpers every layer uses to reach Postgres.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    /// Builds the pool without connecting: the service starts (and /readyz reports
    /// 503) even while Postgres is briefly away.
    pub fn new(settings: &DatabaseSettings) -> Db {
        let url = with_connect_timeout(settings.url.expose(), settings.acquire_timeout_ms);
        let manager = ConnectionManager::<PgConnection>::new(url);
        let pool = Pool::builder()
            .max_size(settings.pool_size)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_millis(settings.acquire_timeout_ms))
            // A connection that died with Postgres is dropped on checkout, so the
            // pool recovers by itself when the server comes back.
            .test_on_check_out(true)
            .connection_customizer(Box::new(ConnectionSetup {
                statement_timeout_ms: settings.statement_timeout_ms,
            }))
            .build_unchecked(manager);
        Db { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Checks out a connection, mapping a timeout to 503.
    pub fn conn(&self) -> Result<PgPooled, AppError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, keeping the
    /// caller's tracing span (and so its request id). `f` may write: afterwards
    /// the in-process caches of data shown to fans are invalidated (see
    /// [`data_generation`]).
    pub async fn run<F, R>(&self, f: F) -> Result<R, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        let out = self.run_keeping_fan_caches(f).await;
        bump_data_generation();
        out
    }

    /// Like [`Db::run`], for work that changes nothing a fan page shows (reads,
    /// a `NOTIFY`): the fan page caches stay valid. It may write, so it is not
    /// named `read`; what it writes must not be anything a fan page caches.
    pub async fn run_keeping_fan_caches<F, R>(&self, f: F) -> Result<R, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Like [`Db::run`] but inside one transaction.
    pub async fn transaction<F, R>(&self, f: F) -> Result<R, AppError>
    where
        F: FnOnce(&mut PgConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        self.run(move |conn| conn.transaction(f)).await
    }
}

static DATA_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Bumped after every [`Db::run`] and [`Db::transaction`] (which may write) and by
/// writers that bypass them. A cache of data shown to fans (the fan page's
/// gallery, leaderboard, poll, winners) loaded under an older generation is
/// stale: a write by this process shows on its very next page. Coarse on
/// purpose: any write invalidates, so no write path can be forgotten; writes by
/// other processes show within the cache's TTL.
pub fn data_generation() -> u64 {
    DATA_GENERATION.load(std::sync::atomic::Ordering::SeqCst)
}

pub fn bump_data_generation() {
    DATA_GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// Adds libpq's `connect_timeout` (whole seconds, at least 2) unless the URL has one,
/// so a server that accepts but never answers cannot hang a pool checkout.
fn with_connect_timeout(url: &str, acquire_timeout_ms: u64) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if !parsed.query_pairs().any(|(k, _)| k == "connect_timeout") => {
            let secs = acquire_timeout_ms.div_ceil(1000).max(2);
            parsed
                .query_pairs_mut()
                .append_pair("connect_timeout", &secs.to_string());
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Creates the database named in `url` when it does not exist yet.
pub fn create_database_if_missing(url: &str) -> anyhow::Result<bool> {
    let parsed = url::Url::parse(url).context("database.url is not a valid URL")?;
    let name = parsed.path().trim_start_matches('/').to_string();
    if name.is_empty() {
        anyhow::bail!("database.url names no database");
    }
    if PgConnection::establish(url).is_ok() {
        return Ok(false);
    }
    let mut admin_url = parsed.clone();
    admin_url.set_path("/postgres");
    let mut admin = PgConnection::establish(admin_url.as_str())
        .with_context(|| "cannot reach Postgres to create the database".to_string())?;
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = {})",
        quote_literal(&name)
    )))
    .get_result(&mut admin)?;
    if exists {
        return Ok(false);
    }
    match admin.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name))) {
        Ok(()) => Ok(true),
        // Another process created it between our check and our CREATE.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) if e.to_string().contains("already exists") => Ok(false),
        Err(e) => Err(e).context("CREATE DATABASE failed"),
    }
}

/// Applies pending migrations under an advisory lock, so several processes
/// starting at once do not race. Returns the versions applied.
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    // Arbitrary constant naming Fanfare's migration lock.
    conn.batch_execute("SELECT pg_advisory_lock(7242001)")?;
    let result = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(|v| v.to_string()).collect())
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
    conn.batch_execute("SELECT pg_advisory_unlock(7242001)")?;
    result
}

/// `serve` and `migrate` call this: create the database when allowed, then migrate.
pub fn prepare(settings: &DatabaseSettings) -> anyhow::Result<Vec<String>> {
    let url = settings.url.expose();
    if settings.create_if_missing && create_database_if_missing(url)? {
        tracing::info!("created the database");
    }
    let mut conn = PgConnection::establish(url).context("cannot connect to the database")?;
    let applied = run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied migrations");
    }
    Ok(applied)
}

/// A short, fresh connection that answers whether Postgres is reachable now.
pub fn ping(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}

/// SQL string literal quoting for the few statements that cannot take parameters.
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// SQL identifier quoting for CREATE/DROP DATABASE.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}
