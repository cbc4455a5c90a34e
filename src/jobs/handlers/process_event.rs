//! `process_event`: turns one stored webhook event into its effects, then marks it
//! processed. Idempotent: an event already processed is skipped.

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

    fn process(conn: &mut PgConnection, ids: &[i64]) -> Result<(), JobError> {
        let events = webhooks::find_events(conn, ids)?;
        let pending: Vec<i64> = events
            .iter()
            .filter(|e| e.processed_at.is_none())
            .map(|e| e.id)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        webhooks::mark_events_processed(conn, &pending)?;
        Ok(())
    }
}

impl JobHandler for ProcessEvent {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, _ctx: &JobContext, conn: &mut PgConnection, job: &Job) -> Result<(), JobError> {
        let ids = Self::event_ids(std::slice::from_ref(job))?;
        Self::process(conn, &ids)
    }

    fn run_batch(
        &self,
        _ctx: &JobContext,
        conn: &mut PgConnection,
        jobs: &[Job],
    ) -> Option<Result<(), JobError>> {
        Some(Self::event_ids(jobs).and_then(|ids| Self::process(conn, &ids)))
    }
}
