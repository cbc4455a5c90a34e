//! `segment_sizes` (periodic, `worker.segment_sizes_interval_secs`): records
//! today's size of every segment of every page in `segment_sizes_daily`.
//!
//! Refreshes also record sizes, but only for pages where something changed; this
//! job gives quiet days their row too, so segment movement in trends
//! (`domain::trends`, `movement_7d`) compares against a real size a week ago.

use diesel::pg::PgConnection;

use crate::db::jobs::Job;
use crate::db::{pages, segments};
use crate::jobs::{JobContext, JobError, JobHandler};

pub const KIND: &str = "segment_sizes";

pub struct SegmentSizes;

impl JobHandler for SegmentSizes {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, ctx: &JobContext, conn: &mut PgConnection, _job: &Job) -> Result<(), JobError> {
        // Sizes of current memberships: apply pending changes first.
        while segments::refresh_dirty(conn, &ctx.settings.segments, 5000)? > 0 {}
        for page in pages::all(conn)? {
            segments::ensure_personas(conn, page.id, &ctx.settings.segments)?;
            segments::record_sizes(conn, page.id)?;
        }
        Ok(())
    }
}
