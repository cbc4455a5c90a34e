//! Worker tasks and the LISTEN thread that wakes them.
//!
//! Workers sleep until woken by a NOTIFY on [`CHANNEL`](crate::db::jobs::CHANNEL)
//! (sent by every enqueue at commit, from any process), or until the fallback poll
//! interval passes. Each worker drains the queue batch by batch before sleeping.
//!
//! Under a steady stream of jobs (a webhook burst queues one job per ingest
//! group, hundreds a second), a worker that claimed each job as it arrived would
//! spend a transaction, a claim and a segment refresh on every small group. So a
//! wake-up that comes sooner than `worker.linger_ms` after the worker last found
//! the queue empty waits for the rest of that interval, by which time the jobs
//! that arrived meanwhile are claimed together. A wake-up after a quieter spell
//! is served at once.
//!
//! Acknowledging webhooks comes first. While this process's ingest keeps
//! committing groups, an in-process worker with a backlog still takes one round
//! per linger, not one after another: a burst larger than the machine can apply
//! as it arrives is acknowledged at full speed and applied in large rounds as the
//! CPU allows, and the backlog drains at full speed once the burst ends.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::Connection;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use super::{run_once, JobContext, Registry};
use crate::db::jobs::CHANNEL;
use crate::db::Db;

/// Wakes every worker of this process, and tells them when webhook ingest in
/// this process last committed a group.
#[derive(Clone, Default)]
pub struct Wakeup {
    notifies: Arc<std::sync::Mutex<Vec<Arc<Notify>>>>,
    /// Milliseconds since `EPOCH` of the last ingest group commit (0: never).
    last_ingest_ms: Arc<AtomicU64>,
}

/// A fixed origin for `last_ingest_ms`.
static EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

impl Wakeup {
    /// Ingest committed a group of deliveries with events (and wakes the workers).
    pub fn ingested(&self) {
        let ms = EPOCH.elapsed().as_millis() as u64;
        self.last_ingest_ms.store(ms.max(1), Ordering::Relaxed);
        self.wake_all();
    }
    /// Whether ingest committed a group within the last `window`.
    fn ingest_streaming(&self, window: Duration) -> bool {
        let last = self.last_ingest_ms.load(Ordering::Relaxed);
        last > 0 && EPOCH.elapsed().as_millis() as u64 <= last + window.as_millis() as u64
    }
    fn subscribe(&self) -> Arc<Notify> {
        let n = Arc::new(Notify::new());
        self.notifies.lock().expect("wakeup lock").push(n.clone());
        n
    }
    pub fn wake_all(&self) {
        for n in self.notifies.lock().expect("wakeup lock").iter() {
            // notify_one stores a permit when the worker is busy, so a wake-up that
            // arrives mid-batch is not lost.
            n.notify_one();
        }
    }
}

pub struct WorkerPool {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    listener_stop: Arc<AtomicBool>,
    listener: Option<std::thread::JoinHandle<()>>,
}

impl WorkerPool {
    /// Starts `count` workers plus the LISTEN thread.
    pub fn start(
        count: usize,
        db: Db,
        registry: Registry,
        ctx: JobContext,
        wakeup: Wakeup,
    ) -> WorkerPool {
        let (shutdown, shutdown_rx) = watch::channel(false);
        let listener_stop = Arc::new(AtomicBool::new(false));
        let listener = if count > 0 {
            let url = ctx.settings.database.url.expose().to_string();
            let stop = listener_stop.clone();
            let wake = wakeup.clone();
            Some(
                std::thread::Builder::new()
                    .name("fanfare-listen".into())
                    .spawn(move || listen_loop(&url, &stop, &wake))
                    .expect("spawn listener thread"),
            )
        } else {
            None
        };
        let registry = Arc::new(registry);
        let tasks = (0..count)
            .map(|i| {
                let notify = wakeup.subscribe();
                let wakeup = wakeup.clone();
                let db = db.clone();
                let registry = registry.clone();
                let ctx = ctx.clone();
                let mut stop = shutdown_rx.clone();
                tokio::spawn(async move {
                    worker_loop(i, db, registry, ctx, notify, &wakeup, &mut stop).await;
                })
            })
            .collect();
        WorkerPool {
            shutdown,
            tasks,
            listener_stop,
            listener,
        }
    }

    /// Stops taking new batches and waits for the running ones to commit.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        self.listener_stop.store(true, Ordering::SeqCst);
        if let Some(l) = self.listener.take() {
            let _ = tokio::task::spawn_blocking(move || l.join()).await;
        }
    }
}

async fn worker_loop(
    index: usize,
    db: Db,
    registry: Arc<Registry>,
    ctx: JobContext,
    notify: Arc<Notify>,
    wakeup: &Wakeup,
    stop: &mut watch::Receiver<bool>,
) {
    let poll = Duration::from_millis(ctx.settings.worker.poll_interval_ms);
    let batch = ctx.settings.worker.batch_size;
    let worker_settings = ctx.settings.worker.clone();
    // While the queue stays busy, segments still follow events, this often (see
    // `worker.segment_refresh_interval_ms`): about this interval plus one batch
    // and one refresh behind. Event batches do not refresh segments in their own
    // transaction (that was a third of their database time, issue 10 P3).
    let refresh_every = Duration::from_millis(worker_settings.segment_refresh_interval_ms);
    let linger = Duration::from_millis(worker_settings.linger_ms);
    tracing::debug!(worker = index, "job worker started");
    let mut last_schedule = std::time::Instant::now() - Duration::from_secs(3600);
    let mut drained_at: Option<Instant> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        if let Some(wait) = drained_at.and_then(|at| linger.checked_sub(at.elapsed())) {
            if stopped_during(stop, wait).await {
                break;
            }
        }
        // The first worker also enqueues periodic jobs, at most once a minute.
        if index == 0 && last_schedule.elapsed() >= Duration::from_secs(60) {
            last_schedule = std::time::Instant::now();
            if let Err(e) = db
                .run({
                    let w = worker_settings.clone();
                    move |c| Ok(super::scheduler::enqueue_due(c, &w)?)
                })
                .await
            {
                tracing::warn!(error = %e, "periodic job scheduling failed");
            }
        }
        // Drain: keep claiming while there is work.
        let mut last_refresh = std::time::Instant::now();
        loop {
            let registry = registry.clone();
            let ctx2 = ctx.clone();
            let result = db
                .run(move |conn| {
                    run_once(&registry, &ctx2, conn, batch).map_err(crate::error::AppError::from)
                })
                .await;
            match result {
                Ok(report) if report.claimed > 0 => {
                    if *stop.borrow() {
                        break;
                    }
                    if wakeup.ingest_streaming(linger) && stopped_during(stop, linger).await {
                        break;
                    }
                    if index == 0 && last_refresh.elapsed() >= refresh_every {
                        refresh_now(&db, &ctx).await;
                        last_refresh = std::time::Instant::now();
                    }
                }
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(worker = index, error = %err, "job batch failed; backing off");
                    stopped_during(stop, poll).await;
                    break;
                }
            }
        }
        // Segments follow activity that did not come through a job (fan page
        // views), and the last batches of a drained queue: every worker that finds
        // the queue empty refreshes dirty contacts (`SKIP LOCKED` shares the work),
        // so one worker stuck in a slow job (a Graph call) does not hold segments
        // back.
        refresh_now(&db, &ctx).await;
        drained_at = Some(Instant::now());
        tokio::select! {
            _ = notify.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::debug!(worker = index, "job worker stopped");
}

/// Contacts re-evaluated per refresh transaction.
const REFRESH_CHUNK: i64 = 5000;

async fn refresh_now(db: &Db, ctx: &JobContext) {
    let segments = ctx.settings.segments.clone();
    if let Err(e) = db.run(move |c| Ok(refresh_segments(c, &segments)?)).await {
        tracing::debug!(error = %e, "segment refresh failed");
    }
}

/// Re-evaluates every dirty contact, [`REFRESH_CHUNK`] per transaction (so row
/// locks on `contact_metrics` are held briefly), until none is left except those
/// locked by running batches (skipped; they stay dirty for the next refresh).
/// Returns how many contacts were refreshed.
pub fn refresh_segments(
    conn: &mut PgConnection,
    segments: &crate::config::SegmentSettings,
) -> diesel::QueryResult<usize> {
    let mut total = 0;
    loop {
        let n =
            conn.transaction(|c| crate::db::segments::refresh_dirty(c, segments, REFRESH_CHUNK))?;
        total += n;
        if n < REFRESH_CHUNK as usize {
            return Ok(total);
        }
    }
}

/// Holds a dedicated connection that LISTENs, reconnecting when it drops.
/// `notifications_iter` only reads what already arrived on the socket, so the loop
/// checks it every few milliseconds without a round trip to the server.
fn listen_loop(url: &str, stop: &AtomicBool, wake: &Wakeup) {
    while !stop.load(Ordering::SeqCst) {
        let mut conn = match PgConnection::establish(url) {
            Ok(c) => c,
            Err(_) => {
                sleep_unless_stopped(stop, Duration::from_secs(1));
                continue;
            }
        };
        if conn.batch_execute(&format!("LISTEN {CHANNEL}")).is_err() {
            sleep_unless_stopped(stop, Duration::from_secs(1));
            continue;
        }
        // A wake-up right after (re)connecting covers anything sent while we were away.
        wake.wake_all();
        let mut idle_ticks = 0u32;
        'connected: while !stop.load(Ordering::SeqCst) {
            let mut woke = false;
            for n in conn.notifications_iter() {
                match n {
                    Ok(_) => woke = true,
                    Err(_) => break 'connected,
                }
            }
            if woke {
                wake.wake_all();
            }
            std::thread::sleep(Duration::from_millis(20));
            idle_ticks += 1;
            // A cheap liveness check now and then notices a dead server.
            if idle_ticks >= 250 {
                idle_ticks = 0;
                if conn.batch_execute("SELECT 1").is_err() {
                    break 'connected;
                }
            }
        }
    }
}

/// Waits `wait`, or less if asked to stop meanwhile; tells whether asked to stop.
async fn stopped_during(stop: &mut watch::Receiver<bool>, wait: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = stop.changed() => {}
    }
    *stop.borrow()
}

fn sleep_unless_stopped(stop: &AtomicBool, total: Duration) {
    let step = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    while waited < total && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(step);
        waited += step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ingest_streams_only_after_a_group_was_committed_within_the_window() {
        let wakeup = Wakeup::default();
        let hour = Duration::from_secs(3600);
        assert!(!wakeup.ingest_streaming(hour), "nothing ingested yet");
        let woken = wakeup.subscribe();
        wakeup.ingested();
        assert!(wakeup.ingest_streaming(hour));
        // The commit also woke the workers: the permit is stored for a busy one.
        let waited = tokio::time::timeout(Duration::from_secs(1), woken.notified()).await;
        assert!(waited.is_ok(), "ingested() wakes the workers");
    }
}
