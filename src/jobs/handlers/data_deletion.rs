//! `data_deletion`: runs the deletion routine for one request.

use diesel::pg::PgConnection;
use serde::{Deserialize, Serialize};

use crate::db::deletion_requests;
use crate::db::jobs::Job;
use crate::jobs::{JobContext, JobError, JobHandler};

pub const KIND: &str = "data_deletion";

#[derive(Serialize, Deserialize)]
pub struct Payload {
    pub request_id: i64,
    pub app_scoped_user_id: String,
}

pub struct DataDeletion;

impl JobHandler for DataDeletion {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, ctx: &JobContext, conn: &mut PgConnection, job: &Job) -> Result<(), JobError> {
        let p: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::permanent(format!("bad payload: {e}")))?;
        // Deliveries not yet split into events hold personal data the erasure
        // could not find: split them first.
        super::process_deliveries::settle_pending(conn, ctx)?;
        let report = crate::domain::privacy::erase_subject(
            conn,
            &p.app_scoped_user_id,
            Some(ctx.settings.uploads.dir.clone()),
        )?;
        deletion_requests::complete(conn, p.request_id, &report)?;
        Ok(())
    }
}
