//! Periodic jobs. Every worker process ticks; `job_schedule` (one row per kind,
//! updated with a conditional UPDATE) makes sure each period enqueues its job once,
//! however many processes run.

use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::config::WorkerSettings;
use crate::db::jobs::{self as queue, NewJob};

/// (job kind, period) of the jobs whose period is fixed.
pub const PERIODIC: &[(&str, Duration)] = &[
    (
        super::handlers::reconcile_subscriptions::KIND,
        Duration::from_secs(24 * 3600),
    ),
    (
        super::handlers::contest_clock::KIND,
        Duration::from_secs(60),
    ),
];

/// Every periodic job with its period: [`PERIODIC`] plus the ones whose period
/// is configured in `[worker]` (`reach_refresh_interval_secs`,
/// `segment_sizes_interval_secs`).
pub fn schedule(w: &WorkerSettings) -> Vec<(&'static str, Duration)> {
    let mut all = PERIODIC.to_vec();
    all.push((
        super::handlers::reach_refresh::KIND,
        Duration::from_secs(w.reach_refresh_interval_secs),
    ));
    all.push((
        super::handlers::segment_sizes::KIND,
        Duration::from_secs(w.segment_sizes_interval_secs),
    ));
    all
}

/// Enqueues every periodic job whose period has passed. Returns the kinds enqueued.
pub fn enqueue_due(conn: &mut PgConnection, w: &WorkerSettings) -> QueryResult<Vec<&'static str>> {
    let max_attempts = w.max_attempts;
    let mut enqueued = Vec::new();
    for (kind, period) in schedule(w) {
        diesel::sql_query("INSERT INTO job_schedule (kind) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind::<Text, _>(kind)
            .execute(conn)?;
        let claimed = diesel::sql_query(
            "UPDATE job_schedule SET last_enqueued_at = now() \
             WHERE kind = $1 AND last_enqueued_at <= now() - make_interval(secs => $2)",
        )
        .bind::<Text, _>(kind)
        .bind::<BigInt, _>(period.as_secs() as i64)
        .execute(conn)?;
        if claimed == 1 {
            queue::enqueue(
                conn,
                &NewJob::new(
                    kind,
                    serde_json::json!({"scheduled_at": Utc::now()}),
                    max_attempts,
                ),
            )?;
            enqueued.push(kind);
        }
    }
    Ok(enqueued)
}
