//! The durable job queue: handlers, the registry, and the executor that claims
//! and runs batches.
//!
//! A worker opens a transaction, claims up to `worker.batch_size` due jobs with
//! `FOR UPDATE SKIP LOCKED`, runs them, deletes the finished ones and reschedules
//! (or dead-letters) the failed ones, then commits. Because the effects of a job
//! and its completion commit together, a crash anywhere leaves either both or
//! neither, and no two workers ever hold the same job.
//!
//! Each job runs inside its own savepoint and `catch_unwind`, so one failing or
//! panicking job rolls back only itself. Handlers that can process many jobs at
//! once (event processing) implement [`JobHandler::run_batch`]; when a batch fails
//! the executor falls back to one job at a time to isolate the culprit.

pub mod handlers;
pub mod scheduler;
pub mod worker;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::Connection;
use rand::Rng;

use crate::config::{Settings, WorkerSettings};
use crate::db::jobs::{self as queue, Job};
use crate::metrics::Metrics;

/// Why a job attempt failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct JobError {
    pub message: String,
    /// false: retrying cannot help, dead-letter at once.
    pub retryable: bool,
}

impl JobError {
    pub fn retry(message: impl Into<String>) -> Self {
        JobError {
            message: message.into(),
            retryable: true,
        }
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        JobError {
            message: message.into(),
            retryable: false,
        }
    }
}

impl From<diesel::result::Error> for JobError {
    fn from(err: diesel::result::Error) -> Self {
        JobError::retry(format!("database: {err}"))
    }
}

/// Domain errors in a job: a server-side failure (database, pool) may pass on a
/// retry; a refusal (4xx) will not, so it goes straight to the dead letters.
impl From<crate::error::AppError> for JobError {
    fn from(err: crate::error::AppError) -> Self {
        if err.status().is_server_error() {
            JobError::retry(err.to_string())
        } else {
            JobError::permanent(err.to_string())
        }
    }
}

impl From<anyhow::Error> for JobError {
    fn from(err: anyhow::Error) -> Self {
        JobError::retry(format!("{err:#}"))
    }
}

/// What handlers may use besides their connection.
#[derive(Clone)]
pub struct JobContext {
    pub settings: Arc<Settings>,
    pub metrics: Metrics,
    /// Lets synchronous handlers drive async clients (`runtime.block_on`), since
    /// they run on the blocking thread pool.
    pub runtime: tokio::runtime::Handle,
    /// Extension point: later features put their services (Graph client, ...) here.
    pub services: Arc<crate::state::Services>,
}

pub trait JobHandler: Send + Sync + 'static {
    fn kind(&self) -> &'static str;

    /// Runs one job inside its own savepoint. Must be idempotent: a job may run
    /// again after a crash or a retry.
    fn run(&self, ctx: &JobContext, conn: &mut PgConnection, job: &Job) -> Result<(), JobError>;

    /// Optionally runs many jobs of this kind at once. `None` means "not
    /// supported". `Ok(n)` means the first `n` jobs (at least one) are done; a
    /// handler may stop short of the whole claim when the rest would not fit in
    /// one round of its work, and those jobs stay queued, not attempted, for the
    /// next claim (see `process_deliveries`: one transaction applying two rounds
    /// of events can deadlock with another worker doing the same).
    fn run_batch(
        &self,
        _ctx: &JobContext,
        _conn: &mut PgConnection,
        _jobs: &[Job],
    ) -> Option<Result<usize, JobError>> {
        None
    }
}

/// Maps job kinds to handlers. Later features register theirs in
/// [`handlers::register_all`].
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }
    pub fn register(&mut self, handler: impl JobHandler) -> &mut Self {
        self.handlers.insert(handler.kind(), Arc::new(handler));
        self
    }
    pub fn get(&self, kind: &str) -> Option<&Arc<dyn JobHandler>> {
        self.handlers.get(kind)
    }
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k: Vec<_> = self.handlers.keys().copied().collect();
        k.sort();
        k
    }
}

/// Delay before attempt `attempt + 1`: base × 2^(attempt-1), capped, plus jitter.
pub fn backoff(settings: &WorkerSettings, attempt: i32) -> Duration {
    let exp = (attempt.max(1) - 1).min(30) as u32;
    let base = settings
        .backoff_base_ms
        .saturating_mul(1u64 << exp)
        .min(settings.backoff_max_ms);
    let jitter = rand::thread_rng().gen_range(0..=settings.backoff_base_ms.max(1) / 2);
    Duration::from_millis(base.saturating_add(jitter))
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchReport {
    pub claimed: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub dead: usize,
    /// Claimed but left queued by a batch handler that took fewer (see
    /// [`JobHandler::run_batch`]); the queue has more work right away.
    pub deferred: usize,
}

/// Claims and runs one batch in one transaction.
pub fn run_once(
    registry: &Registry,
    ctx: &JobContext,
    conn: &mut PgConnection,
    batch_size: i64,
) -> Result<BatchReport, diesel::result::Error> {
    conn.transaction(|conn| {
        let jobs = queue::claim(conn, batch_size)?;
        let mut report = BatchReport {
            claimed: jobs.len(),
            ..Default::default()
        };
        // Group by kind, keeping queue order within each kind.
        let mut groups: Vec<(&str, Vec<Job>)> = Vec::new();
        for job in jobs {
            match groups.iter_mut().find(|(k, _)| *k == job.kind) {
                Some((_, list)) => list.push(job),
                None => groups.push((leak_kind(registry, &job.kind), vec![job])),
            }
        }
        for (kind, group) in groups {
            let handler = registry.get(kind).cloned();
            ctx.metrics
                .job_attempts
                .with_label_values(&[kind])
                .inc_by(group.len() as u64);
            let Some(handler) = handler else {
                for job in &group {
                    record_failure(
                        conn,
                        ctx,
                        job,
                        JobError::permanent(format!("no handler for job kind `{}`", job.kind)),
                        &mut report,
                    )?;
                }
                continue;
            };
            if group.len() > 1 {
                let batch = conn.transaction(|c| {
                    match catch_unwind(AssertUnwindSafe(|| handler.run_batch(ctx, c, &group))) {
                        Ok(None) => Err(BatchOutcome::Unsupported),
                        Ok(Some(Ok(taken))) => Ok(taken.clamp(1, group.len())),
                        Ok(Some(Err(e))) => Err(BatchOutcome::Failed(e)),
                        Err(panic) => {
                            Err(BatchOutcome::Failed(JobError::retry(panic_message(&panic))))
                        }
                    }
                });
                match batch {
                    Ok(taken) => {
                        let ids: Vec<i64> = group[..taken].iter().map(|j| j.id).collect();
                        queue::complete(conn, &ids)?;
                        report.succeeded += taken;
                        report.deferred += group.len() - taken;
                        continue;
                    }
                    Err(BatchOutcome::Db(e)) => return Err(e),
                    Err(BatchOutcome::Failed(e)) => {
                        tracing::warn!(kind, error = %e, "batch failed, retrying jobs one by one");
                    }
                    Err(BatchOutcome::Unsupported) => {}
                }
            }
            for job in &group {
                match run_single(handler.as_ref(), ctx, conn, job) {
                    Ok(()) => {
                        queue::complete(conn, &[job.id])?;
                        report.succeeded += 1;
                    }
                    Err(e) => record_failure(conn, ctx, job, e, &mut report)?,
                }
            }
        }
        Ok(report)
    })
}

enum BatchOutcome {
    Unsupported,
    Failed(JobError),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for BatchOutcome {
    fn from(e: diesel::result::Error) -> Self {
        BatchOutcome::Db(e)
    }
}

/// Runs one job in a savepoint; a panic is a failed attempt, never a dead worker.
fn run_single(
    handler: &dyn JobHandler,
    ctx: &JobContext,
    conn: &mut PgConnection,
    job: &Job,
) -> Result<(), JobError> {
    let outcome: Result<(), SavepointError> =
        conn.transaction(
            |c| match catch_unwind(AssertUnwindSafe(|| handler.run(ctx, c, job))) {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(SavepointError::Job(e)),
                Err(panic) => Err(SavepointError::Job(JobError::retry(format!(
                    "panicked: {}",
                    panic_message(&panic)
                )))),
            },
        );
    match outcome {
        Ok(()) => Ok(()),
        Err(SavepointError::Job(e)) => Err(e),
        Err(SavepointError::Db(e)) => Err(JobError::retry(format!("database: {e}"))),
    }
}

enum SavepointError {
    Job(JobError),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for SavepointError {
    fn from(e: diesel::result::Error) -> Self {
        SavepointError::Db(e)
    }
}

fn record_failure(
    conn: &mut PgConnection,
    ctx: &JobContext,
    job: &Job,
    error: JobError,
    report: &mut BatchReport,
) -> Result<(), diesel::result::Error> {
    let attempt = job.attempts + 1;
    let retry_at = (error.retryable && attempt < job.max_attempts).then(|| {
        Utc::now()
            + chrono::Duration::from_std(backoff(&ctx.settings.worker, attempt))
                .unwrap_or_else(|_| chrono::Duration::hours(1))
    });
    let outcome = if retry_at.is_some() { "retry" } else { "dead" };
    ctx.metrics
        .job_failures
        .with_label_values(&[job.kind.as_str(), outcome])
        .inc();
    tracing::warn!(job_id = job.id, kind = %job.kind, attempt, outcome, error = %error.message, "job failed");
    queue::fail(conn, job.id, &error.message, retry_at)?;
    report.failed += 1;
    if retry_at.is_none() {
        report.dead += 1;
    }
    Ok(())
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// Registered kinds are `'static`; unknown kinds share one label.
fn leak_kind(registry: &Registry, kind: &str) -> &'static str {
    registry
        .kinds()
        .into_iter()
        .find(|k| *k == kind)
        .unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use crate::config::WorkerSettings;

    fn settings(base: u64, max: u64) -> WorkerSettings {
        WorkerSettings {
            concurrency: 1,
            batch_size: 10,
            poll_interval_ms: 1000,
            max_attempts: 8,
            backoff_base_ms: base,
            backoff_max_ms: max,
            reach_refresh_interval_secs: 86_400,
            segment_sizes_interval_secs: 3_600,
            segment_refresh_interval_ms: 5_000,
            linger_ms: 200,
        }
    }

    #[test]
    fn backoff_doubles_per_attempt_with_bounded_jitter_and_a_cap() {
        let s = settings(1000, 3_600_000);
        for attempt in 1..=8 {
            let floor = 1000u64 << (attempt - 1);
            let mut seen = std::collections::HashSet::new();
            for _ in 0..200 {
                let ms = backoff(&s, attempt).as_millis() as u64;
                // base × 2^(attempt-1), plus jitter of at most half the base.
                assert!(
                    (floor..=floor + 500).contains(&ms),
                    "attempt {attempt}: {ms} ms"
                );
                seen.insert(ms);
            }
            assert!(seen.len() > 1, "attempt {attempt}: the delay is jittered");
        }
        // The exponential part is capped (jitter still applies on top).
        let capped = settings(1000, 5000);
        for attempt in [4, 10, 40, i32::MAX] {
            let ms = backoff(&capped, attempt).as_millis() as u64;
            assert!((5000..=5500).contains(&ms), "attempt {attempt}: {ms} ms");
        }
        // Attempt 0 or less behaves like the first attempt.
        let ms = backoff(&s, 0).as_millis() as u64;
        assert!((1000..=1500).contains(&ms));
    }
}
