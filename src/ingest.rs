//! Webhook ingest with group commit.
//!
//! The route verifies the signature, then hands the raw delivery to the
//! [`Ingestor`] and waits. Writer tasks take every delivery that is waiting (up to
//! `ingest.max_batch`), store them all with **one** statement (the raw deliveries
//! and one `process_deliveries` job for the group: [`q::insert_group`]) and commit
//! once; only then is each waiting request answered. One round trip and one fsync
//! serve the whole group, so throughput is no longer capped by one durable commit
//! per request, and nothing is acknowledged before it is committed. Splitting the
//! deliveries into event rows and applying them is the job's work
//! (`jobs::handlers::process_deliveries`), off the acknowledgement path.
//!
//! The group's transaction does **not** `NOTIFY`: Postgres serialises the commits
//! of every transaction that has notified (`PreCommit_Notify` takes a database-wide
//! lock held until the commit record is flushed), which would stop concurrent
//! groups from sharing WAL flushes. In-process workers are woken directly after
//! the commit; other processes' workers get one coalesced `NOTIFY` from a separate
//! task ([`notifier_loop`]), sent after the commit in a transaction of its own, at
//! most once per `worker.linger_ms` (workers claim no more often than that under
//! load anyway).
//!
//! If a group's transaction fails because Postgres is unavailable, every request
//! in it gets 503 and the platform retries. Any other failure is retried one
//! delivery at a time, so a single poisonous body cannot fail its neighbours.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot, Mutex, Notify};

use crate::db::{webhooks as q, Db, PgPooled};
use crate::error::AppError;
use crate::jobs::worker::Wakeup;
use crate::metrics::Metrics;
use crate::platform::facebook::webhook::{summarize_delivery, DeliverySummary};

/// A delivery whose signature has been verified.
pub struct VerifiedDelivery {
    pub body: Bytes,
    pub signature: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Stored, with this many events queued.
    Accepted { events: usize },
    /// Identical bytes were already stored.
    Duplicate,
    /// Stored as evidence, but not a webhook envelope.
    Unparseable,
}

impl IngestOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            IngestOutcome::Accepted { .. } => "accepted",
            IngestOutcome::Duplicate => "duplicate",
            IngestOutcome::Unparseable => "unparseable",
        }
    }
}

type Reply = oneshot::Sender<Result<IngestOutcome, AppError>>;

struct Pending {
    delivery: Prepared,
    reply: Reply,
}

#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Pending>,
}

#[derive(Clone)]
struct WriterCtx {
    db: Db,
    metrics: Metrics,
    wakeup: Wakeup,
    max_attempts: i32,
    /// Asks [`notifier_loop`] for one `NOTIFY`; permits coalesce.
    notify: Arc<Notify>,
}

impl Ingestor {
    /// Spawns `writers` writer tasks on the current runtime.
    pub fn start(
        db: Db,
        metrics: Metrics,
        wakeup: Wakeup,
        writers: usize,
        max_batch: usize,
        max_attempts: i32,
        notify_every: Duration,
    ) -> Ingestor {
        let (tx, rx) = mpsc::channel::<Pending>(max_batch.max(1) * writers.max(1) * 4);
        let rx = Arc::new(Mutex::new(rx));
        let notify = Arc::new(Notify::new());
        tokio::spawn(notifier_loop(db.clone(), notify.clone(), notify_every));
        let ctx = WriterCtx {
            db,
            metrics,
            wakeup,
            max_attempts,
            notify,
        };
        for _ in 0..writers.max(1) {
            let rx = rx.clone();
            let ctx = ctx.clone();
            tokio::spawn(async move { writer_loop(rx, ctx, max_batch.max(1)).await });
        }
        Ingestor { tx }
    }

    /// Stores the delivery; resolves only after the commit (or its failure).
    /// The digest and the envelope summary are computed here, on the request's
    /// own thread, so the writers spend their connection only on the statement.
    pub async fn submit(&self, delivery: VerifiedDelivery) -> Result<IngestOutcome, AppError> {
        let delivery = prepare(delivery);
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Pending { delivery, reply })
            .await
            .map_err(|_| AppError::unavailable(anyhow::anyhow!("ingest writers stopped")))?;
        rx.await.map_err(|_| {
            AppError::unavailable(anyhow::anyhow!("ingest writer dropped the delivery"))
        })?
    }
}

async fn writer_loop(rx: Arc<Mutex<mpsc::Receiver<Pending>>>, ctx: WriterCtx, max_batch: usize) {
    // The writer keeps its pooled connection from one group to the next: every
    // checkout runs the pool's liveness query, a round trip per group (6% of the
    // ingest path's CPU, P1 in BENCHMARKS.md). A group that fails for want of
    // the database gives the connection up; the next group checks out a fresh
    // one, tested as usual.
    let mut held: Option<PgPooled> = None;
    loop {
        // Hold the receiver only while collecting, so another writer can gather the
        // next group while this one commits.
        let group = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut group = vec![first];
            while group.len() < max_batch {
                match rx.try_recv() {
                    Ok(p) => group.push(p),
                    Err(_) => break,
                }
            }
            group
        };
        let (deliveries, replies): (Vec<_>, Vec<_>) =
            group.into_iter().map(|p| (p.delivery, p.reply)).unzip();
        let wctx = ctx.clone();
        let pool = ctx.db.pool().clone();
        let conn = held.take();
        // Raw deliveries change nothing a fan page shows (their jobs will): no
        // `bump_data_generation`, the fan page caches stay valid.
        let stored = actix_web::web::block(move || -> Result<_, AppError> {
            let mut conn = match conn {
                Some(c) => c,
                None => pool.get()?,
            };
            let results = store_group(&mut conn, &wctx, deliveries);
            Ok((conn, results))
        })
        .await;
        let results = match stored {
            Ok(Ok((conn, results))) => {
                if !results
                    .iter()
                    .any(|r| matches!(r, Err(e) if e.is_unavailable()))
                {
                    held = Some(conn);
                }
                Ok(results)
            }
            Ok(Err(err)) => Err(err),
            Err(err) => Err(AppError::from(err)),
        };
        match results {
            Ok(results) => {
                let any_new = results
                    .iter()
                    .any(|r| matches!(r, Ok(IngestOutcome::Accepted { events }) if *events > 0));
                for (reply, result) in replies.into_iter().zip(results) {
                    if let Ok(outcome) = &result {
                        ctx.metrics
                            .deliveries
                            .with_label_values(&[outcome.label()])
                            .inc();
                    }
                    let _ = reply.send(result);
                }
                if any_new {
                    ctx.wakeup.ingested();
                    ctx.notify.notify_one();
                }
            }
            Err(err) => {
                // Could not even get a connection: everyone retries later.
                tracing::warn!(error = %err, "webhook group not stored");
                for reply in replies {
                    let _ = reply.send(Err(AppError::unavailable(anyhow::anyhow!(
                        "database unavailable"
                    ))));
                }
            }
        }
    }
}

/// Sends one `NOTIFY` on the jobs channel per wake-up request, after the groups
/// that asked for it have committed, and then waits `every` before the next one:
/// requests made meanwhile are folded into it. A burst of groups costs one
/// notifying transaction per interval instead of one per group (under P1's load
/// with `serve --no-worker`, that was 7.5 µs of Postgres CPU per delivery, out of
/// about 110 µs for the whole machine), and the first request
/// after a quiet spell is sent at once. The transaction only notifies, so it may
/// skip waiting for its commit record to reach disk: losing it in a crash loses a
/// wake-up, not data (workers also poll).
async fn notifier_loop(db: Db, notify: Arc<Notify>, every: Duration) {
    loop {
        notify.notified().await;
        let sent = db
            .run_keeping_fan_caches(|conn| {
                conn.transaction(|c| {
                    diesel::sql_query("SET LOCAL synchronous_commit = off").execute(c)?;
                    crate::db::jobs::notify(c)
                })
                .map_err(AppError::from)
            })
            .await;
        if let Err(err) = sent {
            tracing::warn!(error = %err, "could not NOTIFY job workers of new events");
        }
        tokio::time::sleep(every).await;
    }
}

/// One prepared delivery: digest and parse result, computed before the transaction.
struct Prepared {
    delivery: VerifiedDelivery,
    digest: Vec<u8>,
    parsed: Result<DeliverySummary, String>,
}

fn prepare(delivery: VerifiedDelivery) -> Prepared {
    let digest = Sha256::digest(&delivery.body).to_vec();
    let parsed = summarize_delivery(&delivery.body).map_err(|e| e.to_string());
    Prepared {
        delivery,
        digest,
        parsed,
    }
}

fn store_group(
    conn: &mut PgConnection,
    ctx: &WriterCtx,
    prepared: Vec<Prepared>,
) -> Vec<Result<IngestOutcome, AppError>> {
    // One statement, outside an explicit transaction: it commits on its own.
    match insert_prepared(conn, ctx, &prepared) {
        Ok(outcomes) => {
            count_events(&ctx.metrics, &prepared, &outcomes);
            outcomes.into_iter().map(Ok).collect()
        }
        Err(err) => {
            let app = AppError::from(err);
            if app.is_unavailable() || prepared.len() == 1 {
                tracing::warn!(error = %app, size = prepared.len(), "webhook group failed");
                return prepared
                    .iter()
                    .map(|_| Err(AppError::unavailable(anyhow::anyhow!("store failed"))))
                    .collect();
            }
            // Isolate the culprit: one transaction per delivery.
            prepared
                .iter()
                .map(|p| {
                    let one = std::slice::from_ref(p);
                    insert_prepared(conn, ctx, one)
                        .map(|o| {
                            count_events(&ctx.metrics, one, &o);
                            o[0]
                        })
                        .map_err(|e| {
                            tracing::error!(error = %e, "webhook delivery could not be stored");
                            AppError::unavailable(e)
                        })
                })
                .collect()
        }
    }
}

fn insert_prepared(
    conn: &mut PgConnection,
    ctx: &WriterCtx,
    prepared: &[Prepared],
) -> Result<Vec<IngestOutcome>, diesel::result::Error> {
    let rows: Vec<q::NewDelivery<'_>> = prepared
        .iter()
        .map(|p| {
            let (status, error, object, count) = match &p.parsed {
                Ok(d) => (
                    "parsed",
                    None,
                    Some(d.object.as_str()),
                    d.events.len() as i32,
                ),
                Err(e) => ("unparseable", Some(e.as_str()), None, 0),
            };
            q::NewDelivery {
                body: &p.delivery.body,
                body_sha256: &p.digest,
                signature: &p.delivery.signature,
                parse_status: status,
                parse_error: error,
                object,
                event_count: count,
            }
        })
        .collect();
    let inserted = q::insert_group(conn, &rows, ctx.max_attempts)?;

    // A digest appearing twice in one group is inserted once; the later copies
    // (and bodies stored by an earlier group) are duplicates.
    let mut new: std::collections::HashSet<&[u8]> = inserted
        .iter()
        .map(|(_, digest)| digest.as_slice())
        .collect();
    Ok(prepared
        .iter()
        .map(|p| {
            if !new.remove(p.digest.as_slice()) {
                return IngestOutcome::Duplicate;
            }
            match &p.parsed {
                Err(_) => IngestOutcome::Unparseable,
                Ok(d) => IngestOutcome::Accepted {
                    events: d.events.len(),
                },
            }
        })
        .collect())
}

/// Counts the events of newly stored deliveries, after their commit.
fn count_events(metrics: &Metrics, prepared: &[Prepared], outcomes: &[IngestOutcome]) {
    for (p, outcome) in prepared.iter().zip(outcomes) {
        if let (Ok(d), IngestOutcome::Accepted { .. }) = (&p.parsed, outcome) {
            for ev in &d.events {
                metrics.count_event(ev.field.as_deref(), ev.item.as_deref(), ev.verb.as_deref());
            }
        }
    }
}
