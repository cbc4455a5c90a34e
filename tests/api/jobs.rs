//! The job queue: retries with backoff, dead letters, panics, operator retry, and
//! exclusive claiming across concurrent workers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::prelude::*;
use fanfare::db::jobs::{self as queue, Job, NewJob};
use fanfare::jobs::{run_once, JobContext, JobError, JobHandler, Registry};
use serde_json::json;

use crate::helpers::{count, test_settings, TestDb};

/// Fails while `payload.fail_times` exceeds the attempts made, panics on demand.
struct Flaky {
    runs: Arc<AtomicUsize>,
}

impl JobHandler for Flaky {
    fn kind(&self) -> &'static str {
        "flaky"
    }
    fn run(&self, _ctx: &JobContext, conn: &mut PgConnection, job: &Job) -> Result<(), JobError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        // A write that must be rolled back when the attempt fails.
        diesel::sql_query("INSERT INTO deauthorizations (app_scoped_user_id) VALUES ('effect')")
            .execute(conn)?;
        if job.payload["panic"] == true {
            panic!("handler exploded");
        }
        let fail_times = job.payload["fail_times"].as_i64().unwrap_or(0);
        if i64::from(job.attempts) < fail_times {
            return Err(JobError::retry(format!(
                "attempt {} failed",
                job.attempts + 1
            )));
        }
        if job.payload["permanent"] == true {
            return Err(JobError::permanent("cannot ever work"));
        }
        Ok(())
    }
}

fn context(db_url: &str) -> JobContext {
    let mut settings = test_settings(db_url);
    settings.worker.backoff_base_ms = 60_000;
    settings.worker.backoff_max_ms = 120_000;
    JobContext {
        settings: Arc::new(settings.clone()),
        metrics: fanfare::metrics::Metrics::new(),
        runtime: tokio::runtime::Handle::current(),
        services: Arc::new(
            fanfare::state::Services::new(
                &settings,
                "http://127.0.0.1:1",
                fanfare::db::Db::new(&settings.database),
                fanfare::metrics::Metrics::new(),
            )
            .unwrap(),
        ),
    }
}

fn make_due(conn: &mut PgConnection) {
    diesel::sql_query("UPDATE jobs SET run_at = now() WHERE state = 'queued'")
        .execute(conn)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_jobs_retry_with_backoff_then_succeed_and_effects_commit_once() {
    let db = TestDb::new();
    let ctx = context(&db.url);
    let runs = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    registry.register(Flaky { runs: runs.clone() });
    let mut conn = db.conn();
    queue::enqueue(
        &mut conn,
        &NewJob::new("flaky", json!({"fail_times": 2}), 5),
    )
    .unwrap();

    let r = tokio::task::block_in_place(|| run_once(&registry, &ctx, &mut conn, 10)).unwrap();
    assert_eq!((r.claimed, r.failed, r.dead), (1, 1, 0));
    let job: (i32, bool, Option<String>) =
        diesel::sql_query("SELECT attempts, run_at > now() AS later, last_error FROM jobs")
            .get_result::<AttemptRow>(&mut conn)
            .map(|r| (r.attempts, r.later, r.last_error))
            .unwrap();
    assert_eq!(job.0, 1);
    assert!(job.1, "a failed job is rescheduled into the future");
    assert_eq!(job.2.as_deref(), Some("attempt 1 failed"));
    // Not due yet: nothing is claimed.
    let r = tokio::task::block_in_place(|| run_once(&registry, &ctx, &mut conn, 10)).unwrap();
    assert_eq!(r.claimed, 0);
    make_due(&mut conn);
    tokio::task::block_in_place(|| run_once(&registry, &ctx, &mut conn, 10)).unwrap();
    make_due(&mut conn);
    let r = tokio::task::block_in_place(|| run_once(&registry, &ctx, &mut conn, 10)).unwrap();
    assert_eq!(r.succeeded, 1);
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert_eq!(count(&mut conn, "jobs"), 0);
    // Only the successful attempt's write survived.
    assert_eq!(count(&mut conn, "deauthorizations"), 1);
}

#[derive(QueryableByName)]
struct AttemptRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    later: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    last_error: Option<String>,
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_dead_letter_after_max_attempts_and_operators_can_retry_them() {
    let db = TestDb::new();
    let ctx = context(&db.url);
    let mut registry = Registry::new();
    registry.register(Flaky {
        runs: Arc::new(AtomicUsize::new(0)),
    });
    let mut conn = db.conn();
    let id = queue::enqueue(
        &mut conn,
        &NewJob::new("flaky", json!({"fail_times": 99}), 3),
    )
    .unwrap()
    .unwrap();
    for _ in 0..3 {
        make_due(&mut conn);
        tokio::task::block_in_place(|| run_once(&registry, &ctx, &mut conn, 10)).unwrap();
    }
    let job = queue::find(&mut conn, id).unwrap();
    assert_eq!(job.state, "dead");
    assert_eq!(job.attempts, 3);
    assert_eq!(queue::dead(&mut conn, 10).unwrap().len(), 1);
    assert_eq!(queue::depth(&mut conn).unwrap().dead, 1);
    // A dead job is never claimed again...
    make_due(&mut conn);
    let r = tokio::task::block_in_place(|| run_once(&registry, &ctx, &mut conn, 10)).unwrap();
    assert_eq!(r.claimed, 0);
    // ...until an operator retries it.
    assert!(queue::retry_dead(&mut conn, id).unwrap());
    let job = queue::find(&mut conn, id).unwrap();
    assert_eq!((job.state.as_str(), job.attempts), ("queued", 0));
    assert_eq!(count(&mut conn, "deauthorizations"), 0);

    // Permanent errors and unknown kinds dead-letter at once.
    queue::enqueue(
        &mut conn,
        &NewJob::new("flaky", json!({"permanent": true}), 5),
    )
    .unwrap();
    queue::enqueue(&mut conn, &NewJob::new("no_such_kind", json!({}), 5)).unwrap();
    diesel::sql_query("DELETE FROM jobs WHERE id = $1")
        .bind::<diesel::sql_types::BigInt, _>(id)
        .execute(&mut conn)
        .unwrap();
    // One kind per claim: the flaky job, then the unknown one.
    for _ in 0..2 {
        let r = tokio::task::block_in_place(|| run_once(&registry, &ctx, &mut conn, 10)).unwrap();
        assert_eq!((r.claimed, r.dead), (1, 1));
    }
    assert_eq!(count(&mut conn, "jobs WHERE state = 'dead'"), 2);
}

/// Takes the first `take` jobs of each batch, one at a time otherwise.
struct Picky {
    take: usize,
}

impl JobHandler for Picky {
    fn kind(&self) -> &'static str {
        "picky"
    }
    fn run(&self, _ctx: &JobContext, conn: &mut PgConnection, job: &Job) -> Result<(), JobError> {
        diesel::sql_query("INSERT INTO deauthorizations (app_scoped_user_id) VALUES ($1)")
            .bind::<diesel::sql_types::Text, _>(job.id.to_string())
            .execute(conn)?;
        Ok(())
    }
    fn run_batch(
        &self,
        ctx: &JobContext,
        conn: &mut PgConnection,
        jobs: &[Job],
    ) -> Option<Result<usize, JobError>> {
        let taken = self.take.min(jobs.len());
        for job in &jobs[..taken] {
            if let Err(e) = self.run(ctx, conn, job) {
                return Some(Err(e));
            }
        }
        Some(Ok(taken))
    }
}

/// A claim holds jobs of one kind (the first ready job's), so a slow kind never
/// shares a transaction with another; and a batch handler may take only the
/// first jobs of its claim, leaving the rest queued, unattempted, in order.
#[tokio::test(flavor = "multi_thread")]
async fn a_claim_holds_one_kind_and_a_batch_handler_may_leave_the_rest_queued() {
    let db = TestDb::new();
    let ctx = context(&db.url);
    let runs = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    registry.register(Flaky { runs: runs.clone() });
    registry.register(Picky { take: 2 });
    let mut conn = db.conn();
    for kind in [
        "picky", "flaky", "picky", "picky", "flaky", "picky", "picky",
    ] {
        queue::enqueue(&mut conn, &NewJob::new(kind, json!({}), 5)).unwrap();
    }
    let ids: Vec<i64> = fanfare::db::schema::jobs::table
        .filter(fanfare::db::schema::jobs::kind.eq("picky"))
        .order(fanfare::db::schema::jobs::id)
        .select(fanfare::db::schema::jobs::id)
        .load(&mut conn)
        .unwrap();
    let mut run =
        || tokio::task::block_in_place(|| run_once(&registry, &ctx, &mut conn, 10)).unwrap();
    // The first ready job is picky: five picky jobs are claimed, two are taken.
    let r = run();
    assert_eq!((r.claimed, r.succeeded, r.deferred), (5, 2, 3));
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "no flaky job in a picky claim"
    );
    // Now the first ready job is flaky (queued second): both flaky jobs.
    let r = run();
    assert_eq!((r.claimed, r.succeeded, r.deferred), (2, 2, 0));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    // Then the three picky jobs left, two and one.
    let r = run();
    assert_eq!((r.claimed, r.succeeded, r.deferred), (3, 2, 1));
    let r = run();
    assert_eq!((r.claimed, r.succeeded, r.deferred), (1, 1, 0));
    assert_eq!(run().claimed, 0);
    // Picky ran its jobs in queue order, each once, never as a failed attempt.
    let done: Vec<String> = diesel::sql_query(
        "SELECT app_scoped_user_id AS value FROM deauthorizations \
         WHERE app_scoped_user_id <> 'effect' ORDER BY id",
    )
    .load::<Value>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|v| v.value)
    .collect();
    let expected: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    assert_eq!(done, expected);
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_job_fails_alone_and_its_neighbours_succeed() {
    let db = TestDb::new();
    let ctx = context(&db.url);
    let mut registry = Registry::new();
    registry.register(Flaky {
        runs: Arc::new(AtomicUsize::new(0)),
    });
    let mut conn = db.conn();
    queue::enqueue(&mut conn, &NewJob::new("flaky", json!({}), 5)).unwrap();
    queue::enqueue(&mut conn, &NewJob::new("flaky", json!({"panic": true}), 5)).unwrap();
    queue::enqueue(&mut conn, &NewJob::new("flaky", json!({}), 5)).unwrap();
    let r = tokio::task::block_in_place(|| run_once(&registry, &ctx, &mut conn, 10)).unwrap();
    assert_eq!((r.claimed, r.succeeded, r.failed), (3, 2, 1));
    let left = queue::claim(&mut conn, 10).unwrap_or_default();
    assert!(left.is_empty(), "the panicked job waits for its backoff");
    let error: Option<String> = fanfare::db::schema::jobs::table
        .select(fanfare::db::schema::jobs::last_error)
        .first(&mut conn)
        .unwrap();
    assert!(error.unwrap().contains("handler exploded"));
    assert_eq!(count(&mut conn, "deauthorizations"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_workers_never_run_the_same_job() {
    let db = TestDb::new();
    let ctx = context(&db.url);
    let runs = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    registry.register(Flaky { runs: runs.clone() });
    {
        let mut conn = db.conn();
        let jobs: Vec<NewJob> = (0..400)
            .map(|_| NewJob::new("flaky", json!({}), 5))
            .collect();
        queue::enqueue_many(&mut conn, &jobs).unwrap();
    }
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let registry = registry.clone();
            let ctx = ctx.clone();
            let url = db.url.clone();
            tokio::task::spawn_blocking(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let mut done = 0;
                loop {
                    let r = run_once(&registry, &ctx, &mut conn, 7).unwrap();
                    if r.claimed == 0 {
                        return done;
                    }
                    done += r.succeeded;
                }
            })
        })
        .collect();
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    assert_eq!(total, 400);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        400,
        "each job ran exactly once"
    );
    let mut conn = db.conn();
    assert_eq!(count(&mut conn, "deauthorizations"), 400);
    assert_eq!(count(&mut conn, "jobs"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_show_job_attempts_failures_and_dead_letters() {
    use crate::support::{metric, scrape};
    let app = crate::helpers::spawn_app().await;
    let before = scrape(&app).await;
    const ATTEMPTS: &str = r#"fanfare_job_attempts_total{kind="unknown"}"#;
    const DEAD: &str = r#"fanfare_job_failures_total{kind="no_such_kind",outcome="dead"}"#;
    const DEPTH_DEAD: &str = r#"fanfare_jobs_queue_depth{state="dead"}"#;
    assert_eq!(metric(&before, ATTEMPTS), 0.0);
    assert_eq!(metric(&before, DEAD), 0.0);
    assert_eq!(metric(&before, DEPTH_DEAD), 0.0);
    // A job no handler knows is attempted once and dead-lettered by the app's worker.
    app.query(|c| {
        queue::enqueue(c, &NewJob::new("no_such_kind", json!({}), 5)).unwrap();
        queue::enqueue(c, &NewJob::new("no_such_kind", json!({}), 5)).unwrap();
    })
    .await;
    app.eventually("both jobs are dead-lettered", |c| {
        count(c, "jobs WHERE kind = 'no_such_kind' AND state = 'dead'") == 2
    })
    .await;
    let after = scrape(&app).await;
    assert_eq!(metric(&after, ATTEMPTS), 2.0, "attempts are counted");
    assert_eq!(metric(&after, DEAD), 2.0, "failures are counted by outcome");
    assert_eq!(
        metric(&after, DEPTH_DEAD),
        2.0,
        "queue depth shows dead jobs"
    );
}

/// With the fallback poll set to an hour, only a NOTIFY can wake the worker for a
/// job enqueued after it went to sleep. The jobs are enqueued over the test's own
/// database connection (as another process would), so the in-process wake-up that
/// webhook ingestion uses cannot explain it: only LISTEN/NOTIFY through Postgres.
#[tokio::test(flavor = "multi_thread")]
async fn notify_wakes_an_idle_worker_long_before_its_poll_interval() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Spawn::default(), |s| {
        s.worker.poll_interval_ms = 3_600_000;
    })
    .await;
    // The first job may be picked up by the worker's start-up pass; the second is
    // enqueued after the first was handled, when the worker sleeps.
    for n in 1..=2i64 {
        app.query(|c| {
            queue::enqueue(c, &NewJob::new("no_such_kind", json!({}), 5)).unwrap();
        })
        .await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let url = app.db.url.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            loop {
                // An unknown kind is dead-lettered on its first attempt.
                if count(&mut conn, "jobs WHERE kind = 'no_such_kind' AND state = 'dead'") == n {
                    return;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "job {n} was not run within 10 s although the poll interval is 1 h: no NOTIFY wake-up"
                );
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
        })
        .await
        .unwrap();
    }
}
