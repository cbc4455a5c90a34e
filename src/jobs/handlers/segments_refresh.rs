//! `segments_refresh`: re-evaluates segment memberships of contacts whose metrics
//! changed (incremental), queued after entries and votes and run every minute.
//! Webhook event batches refresh in their own transaction (process_event).

use diesel::pg::PgConnection;

use crate::db::jobs::{Job, NewJob};
use crate::jobs::{JobContext, JobError, JobHandler};

pub const KIND: &str = "segments_refresh";

pub struct SegmentsRefresh;

impl JobHandler for SegmentsRefresh {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, ctx: &JobContext, conn: &mut PgConnection, _job: &Job) -> Result<(), JobError> {
        while crate::db::segments::refresh_dirty(conn, &ctx.settings.segments, 5000)? > 0 {}
        Ok(())
    }
}

/// Queues a refresh. Not deduplicated on purpose: a refresh that is already
/// running may have read the dirty set before this change committed, so a
/// second one must follow; an extra refresh with nothing dirty costs one query.
pub fn queue(conn: &mut PgConnection) -> diesel::QueryResult<()> {
    crate::db::jobs::enqueue(conn, &NewJob::new(KIND, serde_json::json!({}), 3)).map(|_| ())
}
