//! `process_event`: turns one stored webhook event into its CRM effects
//! (`domain::events`), then marks it processed. Idempotent twice over: processed
//! events are skipped, and every effect is keyed so a replay changes nothing.
//!
//! Segment memberships follow the events shortly after, not in the same
//! transaction: the worker refreshes queued contacts between batches every
//! `worker.segment_refresh_interval_ms` while the queue is busy, and as soon as
//! it is drained (issue 10, P3: the refresh was
//! about a third of the database time of every batch).

use diesel::pg::PgConnection;
use serde::Deserialize;

use crate::db::jobs::Job;
use crate::db::webhooks;
use crate::jobs::{JobContext, JobError, JobHandler};

pub const KIND: &str = "process_event";

#[derive(Deserialize)]
struct Payload {
    event_id: i64,
}

pub struct ProcessEvent;

impl ProcessEvent {
    fn event_ids(jobs: &[Job]) -> Result<Vec<i64>, JobError> {
        jobs.iter()
            .map(|j| {
                serde_json::from_value::<Payload>(j.payload.clone())
                    .map(|p| p.event_id)
                    .map_err(|e| JobError::permanent(format!("bad payload: {e}")))
            })
            .collect()
    }

    /// `batch`: write through [`crate::domain::events::apply_batch`] (same
    /// effects as one [`crate::domain::events::apply`] per event, in order).
    fn process(conn: &mut PgConnection, ids: &[i64], batch: bool) -> Result<(), JobError> {
        // Marked processed up front, in the job's transaction (rolled back with the
        // effects if they fail).
        let events = webhooks::take_unprocessed(conn, ids)?;
        if events.is_empty() {
            return Ok(());
        }
        let pending: Vec<&webhooks::Event> = events.iter().collect();
        if batch {
            crate::domain::events::apply_batch(conn, &pending)
                .map_err(|e| JobError::retry(e.to_string()))?;
        } else {
            for event in &pending {
                crate::domain::events::apply(conn, event)
                    .map_err(|e| JobError::retry(e.to_string()))?;
            }
        }
        // Segments are not refreshed here: the contacts touched are flagged dirty
        // (rollup triggers) and the worker refreshes them in its own transaction,
        // coalescing many batches (see `jobs::worker::refresh_segments`).
        Ok(())
    }
}

impl JobHandler for ProcessEvent {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, _ctx: &JobContext, conn: &mut PgConnection, job: &Job) -> Result<(), JobError> {
        let ids = Self::event_ids(std::slice::from_ref(job))?;
        Self::process(conn, &ids, false)
    }

    fn run_batch(
        &self,
        _ctx: &JobContext,
        conn: &mut PgConnection,
        jobs: &[Job],
    ) -> Option<Result<usize, JobError>> {
        Some(
            Self::event_ids(jobs)
                .and_then(|ids| Self::process(conn, &ids, true))
                .map(|()| jobs.len()),
        )
    }
}
