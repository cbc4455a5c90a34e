//! `process_deliveries`: turns a group of stored webhook deliveries into events
//! and CRM data. Ingest queues one such job per group commit, in the same
//! statement as the deliveries (`db::webhooks::insert_group`), so the
//! acknowledgement path writes only the raw bodies (issue 10, P1).
//!
//! The happy path is one pass per chunk of deliveries: parse the bodies, insert
//! their events already marked processed, and apply them in a batch
//! (`domain::events::apply_batch`), all inside a savepoint of the job's
//! transaction. No job per event and no second write to mark events processed
//! (issue 10, P3).
//!
//! If applying a chunk fails, the savepoint is rolled back and the chunk falls
//! back to the per-event path: its events are stored unprocessed with one
//! `process_event` job each, which retry, back off and dead-letter one event at a
//! time (and show in the dashboard of the page the event came from). So one
//! poisonous event never holds back or kills the rest of its group.
//!
//! Replays are harmless: an event already stored (`(delivery_id, seq)` is unique)
//! is not inserted or applied again.
//!
//! **One round of events per transaction.** A claimed batch takes only as many
//! jobs as fit in one round (`EVENTS_PER_BATCH`, `BATCH_BODY_BYTES`,
//! `DELIVERIES_PER_CHUNK`, from the weights ingest writes into each job's
//! payload); the rest stay queued for the next claim. Each round locks its
//! senders and contact rows in one sorted order, but two rounds in one
//! transaction lock in two orders, and two workers doing that deadlock. Under
//! P1's load the in-process workers deadlocked 9 to 21 times in 10 s, and each
//! victim's round fell back to one `process_event` job per event: a 10 s burst
//! of 125,000 deliveries took 301 s to apply, against 43 s now (issue 10,
//! BENCHMARKS.md). Only a single job larger than one round still takes several.

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::Connection;
use serde::Deserialize;

use crate::db::jobs::Job;
use crate::db::webhooks::{self, Event, PROCESS_DELIVERIES};
use crate::error::AppError;
use crate::jobs::{JobContext, JobError, JobHandler};
use crate::platform::facebook::webhook::parse_delivery;

pub const KIND: &str = PROCESS_DELIVERIES;

/// Deliveries read at a time, so a large claimed batch does not hold every body
/// in memory at once (P6).
const DELIVERIES_PER_CHUNK: usize = 100;
/// Events applied in one batch.
const EVENTS_PER_BATCH: usize = 1000;
/// Body bytes applied in one batch: bounds the memory of a batch of large
/// events (2 KB comments: 64 per batch), which P6 measures with in-process
/// workers.
const BATCH_BODY_BYTES: usize = 256 * 1024;

/// A job's payload. `events` and `bytes` are what its deliveries weigh (their
/// event count and body bytes), as ingest and `fanfare seed` record it; a job
/// queued without them has no weight and is run on its own.
#[derive(Deserialize)]
struct Payload {
    delivery_ids: Vec<i64>,
    events: Option<usize>,
    bytes: Option<usize>,
}

/// How many of the claimed jobs, from the first, [`process`] applies in one
/// round (at least one). It mirrors `process`: a round ends with the chunk of
/// deliveries it reads, or right after the delivery that brings it to
/// `EVENTS_PER_BATCH` events or `BATCH_BODY_BYTES` bytes, so a one-delivery job
/// may be the one that crosses a limit, and a job of several must fit whole.
fn jobs_in_one_round(jobs: &[Job]) -> usize {
    let (mut deliveries, mut events, mut bytes) = (0, 0, 0);
    for (i, job) in jobs.iter().enumerate() {
        let Ok(Payload {
            delivery_ids,
            events: Some(job_events),
            bytes: Some(job_bytes),
        }) = Payload::deserialize(&job.payload)
        else {
            return i.max(1);
        };
        let open = events < EVENTS_PER_BATCH && bytes < BATCH_BODY_BYTES;
        deliveries += delivery_ids.len();
        events += job_events;
        bytes += job_bytes;
        let whole = events <= EVENTS_PER_BATCH && bytes <= BATCH_BODY_BYTES;
        let fits = deliveries <= DELIVERIES_PER_CHUNK && open && (whole || delivery_ids.len() == 1);
        if !fits {
            return i.max(1);
        }
    }
    jobs.len()
}

pub struct ProcessDeliveries;

fn payload_ids(job: &Job) -> Result<Vec<i64>, JobError> {
    Payload::deserialize(&job.payload)
        .map(|p| p.delivery_ids)
        .map_err(|e| JobError::permanent(format!("bad payload: {e}")))
}

fn sorted_unique(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn delivery_ids(jobs: &[Job]) -> Result<Vec<i64>, JobError> {
    let mut ids = Vec::new();
    for j in jobs {
        ids.extend(payload_ids(j)?);
    }
    Ok(sorted_unique(ids))
}

/// Splits and applies the given deliveries (see the module doc).
pub fn process(conn: &mut PgConnection, ctx: &JobContext, ids: &[i64]) -> Result<(), JobError> {
    for chunk in ids.chunks(DELIVERIES_PER_CHUNK) {
        let bodies = webhooks::parsed_bodies(conn, chunk)?;
        // Parsed a batch at a time, so only one batch's events are held however
        // large the chunk's bodies. The events own what was parsed (no copies);
        // the bodies stay, to parse again in the rare fallback.
        let mut batch: Vec<(i64, &[u8])> = Vec::new();
        let mut events: Vec<Event> = Vec::new();
        let mut bytes = 0;
        let now = Utc::now();
        for (id, body) in &bodies {
            // Unparseable bodies were stored as `unparseable` and are not
            // selected; a stored `parsed` body always parses again the same way.
            let Ok(delivery) = parse_delivery(body) else {
                continue;
            };
            events.extend(Event::of_delivery(*id, delivery, Some(now)));
            bytes += body.len();
            batch.push((*id, body));
            if events.len() >= EVENTS_PER_BATCH || bytes >= BATCH_BODY_BYTES {
                apply_or_fall_back(conn, ctx, &batch, std::mem::take(&mut events))?;
                batch.clear();
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            apply_or_fall_back(conn, ctx, &batch, events)?;
        }
    }
    Ok(())
}

/// Stores and applies the events of `deliveries` in a savepoint; if applying
/// fails, stores them unprocessed with one `process_event` job each.
fn apply_or_fall_back(
    conn: &mut PgConnection,
    ctx: &JobContext,
    deliveries: &[(i64, &[u8])],
    events: Vec<Event>,
) -> Result<(), JobError> {
    let applied = conn.transaction::<_, AppError, _>(|c| {
        let events = webhooks::store_new_events(c, events)?;
        let refs: Vec<&Event> = events.iter().collect();
        crate::domain::events::apply_batch(c, &refs)
    });
    let Err(err) = applied else {
        return Ok(());
    };
    if err.is_unavailable() {
        return Err(JobError::retry(err.to_string()));
    }
    tracing::warn!(error = %err, deliveries = deliveries.len(),
        "applying a group of webhook events failed; queueing them one event per job");
    let unprocessed: Vec<Event> = deliveries
        .iter()
        .filter_map(|(id, body)| Some((*id, parse_delivery(body).ok()?)))
        .flat_map(|(id, d)| Event::of_delivery(id, d, None))
        .collect();
    webhooks::store_new_events(conn, unprocessed)?;
    let ids: Vec<i64> = deliveries.iter().map(|(id, _)| *id).collect();
    webhooks::enqueue_event_jobs(conn, &ids, ctx.settings.worker.max_attempts)?;
    Ok(())
}

/// Splits and applies every delivery still waiting for a `process_deliveries`
/// job (queued, retrying, or dead), and removes those jobs. A data deletion
/// runs this first, so no personal data waits in an unsplit body where the
/// erasure (which finds a subject's deliveries through their events) cannot
/// see it. Jobs that another worker is running are waited for: their events
/// are committed before this returns.
pub fn settle_pending(conn: &mut PgConnection, ctx: &JobContext) -> Result<usize, JobError> {
    let pending = crate::db::jobs::lock_waiting_or_dead(conn, KIND)?;
    if pending.is_empty() {
        return Ok(0);
    }
    // A job whose payload cannot be read names no delivery to settle.
    let ids = sorted_unique(
        pending
            .iter()
            .filter_map(|j| payload_ids(j).ok())
            .flatten()
            .collect(),
    );
    process(conn, ctx, &ids)?;
    let job_ids: Vec<i64> = pending.iter().map(|j| j.id).collect();
    crate::db::jobs::complete(conn, &job_ids)?;
    Ok(ids.len())
}

impl JobHandler for ProcessDeliveries {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, ctx: &JobContext, conn: &mut PgConnection, job: &Job) -> Result<(), JobError> {
        process(conn, ctx, &delivery_ids(std::slice::from_ref(job))?)
    }

    fn run_batch(
        &self,
        ctx: &JobContext,
        conn: &mut PgConnection,
        jobs: &[Job],
    ) -> Option<Result<usize, JobError>> {
        let taken = jobs_in_one_round(jobs);
        Some(delivery_ids(&jobs[..taken]).and_then(|ids| process(conn, ctx, &ids).map(|()| taken)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(payload: serde_json::Value) -> Job {
        Job {
            id: 1,
            kind: KIND.into(),
            payload,
            state: "queued".into(),
            priority: 0,
            attempts: 0,
            max_attempts: 8,
            run_at: Utc::now(),
            last_error: None,
            dedupe_key: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn the_delivery_ids_of_a_batch_are_merged_in_order_without_repeats() {
        let jobs = [
            job(serde_json::json!({"delivery_ids": [7, 3]})),
            job(serde_json::json!({"delivery_ids": [3, 5]})),
        ];
        assert_eq!(delivery_ids(&jobs).unwrap(), vec![3, 5, 7]);
    }

    fn weighed(deliveries: usize, events: usize, bytes: usize) -> Job {
        job(serde_json::json!({
            "delivery_ids": (1..=deliveries as i64).collect::<Vec<_>>(),
            "events": events,
            "bytes": bytes,
        }))
    }

    #[test]
    fn a_claim_is_cut_where_process_would_start_a_second_round() {
        // Ten one-delivery jobs of 100 events: the tenth reaches 1,000 events,
        // where `process` ends the round; an eleventh would start another.
        let jobs: Vec<Job> = (0..11).map(|_| weighed(1, 100, 1000)).collect();
        assert_eq!(jobs_in_one_round(&jobs), 10);
        // A one-delivery job may cross the byte limit (it ends the round)...
        let big = weighed(1, 10, BATCH_BODY_BYTES);
        assert_eq!(
            jobs_in_one_round(&[weighed(1, 1, 10), big.clone(), weighed(1, 1, 10)]),
            2
        );
        // ...but a job of several deliveries must fit whole: `process` would end
        // the round in the middle of it.
        let several = weighed(3, 3, BATCH_BODY_BYTES);
        assert_eq!(jobs_in_one_round(&[weighed(1, 1, 10), several.clone()]), 1);
        // No more deliveries than one chunk.
        let chunk: Vec<Job> = (0..DELIVERIES_PER_CHUNK + 1)
            .map(|_| weighed(1, 1, 1))
            .collect();
        assert_eq!(jobs_in_one_round(&chunk), DELIVERIES_PER_CHUNK);
        // The first job is always taken, however heavy; a job without weights
        // (queued before they were recorded) runs on its own.
        assert_eq!(jobs_in_one_round(&[several, weighed(1, 1, 1)]), 1);
        let unweighed = job(serde_json::json!({"delivery_ids": [1]}));
        assert_eq!(jobs_in_one_round(&[unweighed.clone(), weighed(1, 1, 1)]), 1);
        assert_eq!(jobs_in_one_round(&[weighed(1, 1, 1), unweighed]), 1);
        assert_eq!(jobs_in_one_round(&[weighed(2, 2, 2), weighed(3, 3, 3)]), 2);
    }

    #[test]
    fn a_payload_without_delivery_ids_is_a_permanent_failure() {
        let err = delivery_ids(&[job(serde_json::json!({"event_id": 1}))]).unwrap_err();
        assert!(err.to_string().contains("bad payload"), "{err}");
    }
}
