//! `contest_clock` (every minute): stores the openings and closings the schedule
//! already decided. Checks never wait for it (they apply the clock themselves);
//! this keeps stored statuses, lists and the audit log current.

use chrono::Utc;
use diesel::pg::PgConnection;

use crate::db::jobs::Job;
use crate::jobs::{JobContext, JobError, JobHandler};

pub const KIND: &str = "contest_clock";

pub struct ContestClock;

impl JobHandler for ContestClock {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, ctx: &JobContext, conn: &mut PgConnection, _job: &Job) -> Result<(), JobError> {
        // Opening on schedule commits to the draw seed, sealed like stored tokens.
        let cipher = crate::crypto::tokens::TokenCipher::new(&ctx.settings.security);
        crate::domain::lifecycle::apply_clock(conn, Utc::now(), &cipher)
            .map_err(|e| JobError::retry(e.to_string()))?;
        crate::db::rate_limits::purge(conn)?;
        crate::db::oauth_states::purge_expired(conn)?;
        Ok(())
    }
}
