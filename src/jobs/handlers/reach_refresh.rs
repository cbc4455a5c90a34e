//! `reach_refresh` (periodic, every `worker.reach_refresh_interval_secs`, daily by
//! default; or for one page): measures posts fans shared
//! and contest posts through batch Graph requests, and stores snapshots. The run
//! for every page only queues one job per page (see [`fan_out`]).

use diesel::pg::PgConnection;
use serde::{Deserialize, Serialize};

use crate::db::jobs::Job;
use crate::db::pages::{self, Page};
use crate::domain::reach;
use crate::jobs::{JobContext, JobError, JobHandler};
use crate::platform::facebook::graph::AccessToken;

pub const KIND: &str = "reach_refresh";

#[derive(Serialize, Deserialize, Default)]
pub struct Payload {
    /// One page, or every page when absent.
    #[serde(default)]
    pub page_id: Option<i64>,
}

pub struct ReachRefresh;

impl JobHandler for ReachRefresh {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, ctx: &JobContext, conn: &mut PgConnection, job: &Job) -> Result<(), JobError> {
        let p: Payload = serde_json::from_value(job.payload.clone()).unwrap_or_default();
        let Some(page_id) = p.page_id else {
            return fan_out(conn, job);
        };
        let page = pages::find(conn, page_id)?;
        measure_page(ctx, conn, &page)?;
        // New reach figures move contacts between segments (`reach` rules).
        crate::db::segments::refresh_dirty(conn, &ctx.settings.segments, 5000)?;
        Ok(())
    }
}

/// Measures one page's shared and contest posts and stores the snapshots. A page
/// without a usable token or without objects is skipped.
fn measure_page(ctx: &JobContext, conn: &mut PgConnection, page: &Page) -> Result<(), JobError> {
    let Some(blob) = &page.page_token_enc else {
        return Ok(());
    };
    let cipher = crate::crypto::tokens::TokenCipher::new(&ctx.settings.security);
    let Ok(value) = cipher.decrypt(blob, &format!("page:{}", page.fb_page_id)) else {
        return Ok(());
    };
    let token = AccessToken::page(page.fb_page_id.clone(), value);
    let objects = reach::objects_of_page(conn, page.id)?;
    if objects.is_empty() {
        return Ok(());
    }
    match ctx
        .runtime
        .block_on(reach::measure(&ctx.services.graph, &token, &objects))
    {
        Ok(measured) => {
            let report = reach::store(conn, page.id, &measured)?;
            tracing::info!(
                page_id = page.id,
                objects = report.objects,
                measured = report.measured,
                failed = report.failed,
                "reach refreshed"
            );
        }
        Err(e) if e.is_token_error() => {
            pages::mark_token_status(conn, &page.fb_page_id, "needs_reauth", Some(&e.to_string()))?;
        }
        Err(e) if e.is_retryable_later() => return Err(JobError::retry(e.to_string())),
        Err(e) => tracing::warn!(page_id = page.id, error = %e, "reach refresh failed"),
    }
    Ok(())
}

/// The periodic run for every page queues one job per page and returns. A job's
/// effects commit with it, and storing a page's snapshots locks its sharers'
/// metrics rows through the rollups; measured in one job, those locks were held
/// while the next pages' Graph requests ran (over a minute against a platform
/// that did not answer), and segment refreshes skipped the locked contacts.
fn fan_out(conn: &mut PgConnection, job: &Job) -> Result<(), JobError> {
    for page in pages::all(conn)? {
        if page.page_token_enc.is_none() {
            continue;
        }
        crate::db::jobs::enqueue(
            conn,
            &crate::db::jobs::NewJob::new(
                KIND,
                serde_json::json!({ "page_id": page.id }),
                job.max_attempts,
            )
            .dedupe(format!("{KIND}:page:{}", page.id)),
        )?;
    }
    Ok(())
}
