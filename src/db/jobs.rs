//! The job queue table. Claiming happens inside the transaction that runs the job
//! (`FOR UPDATE SKIP LOCKED`), so a job is never run twice at the same time and a
//! crash releases it. Finished jobs are deleted; dead ones stay visible.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::jobs;

/// The channel workers LISTEN on; enqueueing NOTIFYs it (delivered at commit).
pub const CHANNEL: &str = "fanfare_jobs";

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub state: String,
    pub priority: i16,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = jobs)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub priority: i16,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub dedupe_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: &str, payload: serde_json::Value, max_attempts: i32) -> NewJob {
        NewJob {
            kind: kind.to_string(),
            payload,
            priority: 0,
            max_attempts,
            run_at: Utc::now(),
            dedupe_key: None,
        }
    }
    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
    pub fn at(mut self, run_at: DateTime<Utc>) -> Self {
        self.run_at = run_at;
        self
    }
}

/// Queues a job in the caller's transaction. Returns `None` when a queued job with
/// the same dedupe key already exists.
pub fn enqueue(conn: &mut PgConnection, job: &NewJob) -> QueryResult<Option<i64>> {
    let id = diesel::insert_into(jobs::table)
        .values(job)
        .on_conflict_do_nothing()
        .returning(jobs::id)
        .get_result::<i64>(conn)
        .optional()?;
    notify(conn)?;
    Ok(id)
}

pub fn enqueue_many(conn: &mut PgConnection, new_jobs: &[NewJob]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in new_jobs.chunks(5000) {
        n += diesel::insert_into(jobs::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    notify(conn)?;
    Ok(n)
}

/// Wakes listening workers once the surrounding transaction commits.
pub fn notify(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query(format!("NOTIFY {CHANNEL}"))
        .execute(conn)
        .map(|_| ())
}

/// Locks up to `limit` ready jobs for the current transaction, all of one kind:
/// the kind of the first ready job, then more of that kind in queue order.
///
/// One kind per claim, because the claimed jobs share a transaction: a job
/// waiting on the network (a Graph call that times out and retries) would
/// otherwise hold a batch of webhook events locked and unapplied for as long,
/// and two kinds' batches in one transaction take their locks in two orders.
pub fn claim(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Job>> {
    let ready = || {
        jobs::table
            .filter(jobs::state.eq("queued"))
            .filter(jobs::run_at.le(diesel::dsl::now))
            .order((jobs::priority.desc(), jobs::run_at, jobs::id))
            .for_update()
            .skip_locked()
            .select(Job::as_select())
    };
    let Some(first) = ready().limit(1).load(conn)?.pop() else {
        return Ok(Vec::new());
    };
    let mut claimed = vec![];
    if limit > 1 {
        claimed = ready()
            .filter(jobs::kind.eq(&first.kind))
            .filter(jobs::id.ne(first.id))
            .limit(limit - 1)
            .load(conn)?;
    }
    claimed.insert(0, first);
    Ok(claimed)
}

/// Every job of `kind` not finished yet (queued, whether ready, running or
/// backing off) or dead, locked for the current transaction: waits for a worker
/// that is running one, and skips those it completed meanwhile.
pub fn lock_waiting_or_dead(conn: &mut PgConnection, kind: &str) -> QueryResult<Vec<Job>> {
    jobs::table
        .filter(jobs::kind.eq(kind))
        .filter(jobs::state.eq_any(["queued", "dead"]))
        .order(jobs::id)
        .for_update()
        .select(Job::as_select())
        .load(conn)
}

pub fn complete(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(jobs::table.filter(jobs::id.eq_any(ids))).execute(conn)
}

/// Records a failed attempt: reschedules at `retry_at`, or dead-letters the job.
pub fn fail(
    conn: &mut PgConnection,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    let error: String = error.chars().take(2000).collect();
    let target = jobs::table.find(id);
    match retry_at {
        Some(at) => diesel::update(target)
            .set((
                jobs::attempts.eq(jobs::attempts + 1),
                jobs::last_error.eq(error),
                jobs::run_at.eq(at),
                jobs::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                jobs::attempts.eq(jobs::attempts + 1),
                jobs::last_error.eq(error),
                jobs::state.eq("dead"),
                jobs::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// Puts a dead job back in the queue with a fresh attempt budget.
pub fn retry_dead(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    let n = diesel::update(jobs::table.find(id).filter(jobs::state.eq("dead")))
        .set((
            jobs::state.eq("queued"),
            jobs::attempts.eq(0),
            jobs::run_at.eq(diesel::dsl::now),
            jobs::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    if n > 0 {
        notify(conn)?;
    }
    Ok(n > 0)
}

pub fn dead(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Job>> {
    jobs::table
        .filter(jobs::state.eq("dead"))
        .order(jobs::updated_at.desc())
        .limit(limit)
        .select(Job::as_select())
        .load(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Job> {
    jobs::table.find(id).select(Job::as_select()).first(conn)
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Depth {
    /// Queued and due now.
    pub ready: i64,
    /// Queued for later (retry backoff or scheduled).
    pub scheduled: i64,
    pub dead: i64,
}

pub fn depth(conn: &mut PgConnection) -> QueryResult<Depth> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    let (ready, scheduled, dead) = jobs::table
        .select((
            sql::<BigInt>("count(*) FILTER (WHERE state = 'queued' AND run_at <= now())"),
            sql::<BigInt>("count(*) FILTER (WHERE state = 'queued' AND run_at > now())"),
            sql::<BigInt>("count(*) FILTER (WHERE state = 'dead')"),
        ))
        .first::<(i64, i64, i64)>(conn)?;
    Ok(Depth {
        ready,
        scheduled,
        dead,
    })
}

/// SQL condition: the job in the outer `jobs` row concerns a page the admin
/// manages: a webhook event job whose event came from one of the admin's pages,
/// or a contest job (`contest_id`) of one of their contests. Other jobs (the
/// clock, subscription reconcile, data deletion) belong to no tenant.
fn concerns_admin(admin_id: i64) -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    // `admin_id` is an i64, formatted as digits: nothing else can reach the SQL.
    diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "(EXISTS (SELECT 1 FROM webhook_events e \
           JOIN pages p ON p.fb_page_id = e.page_id \
           JOIN page_admins pa ON pa.page_id = p.id \
          WHERE pa.admin_id = {admin_id} \
            AND e.id = (CASE WHEN jobs.payload->>'event_id' ~ '^[0-9]{{1,18}}$' \
                        THEN (jobs.payload->>'event_id')::bigint END)) \
         OR EXISTS (SELECT 1 FROM contests c \
           JOIN page_admins pa ON pa.page_id = c.page_id \
          WHERE pa.admin_id = {admin_id} \
            AND c.id = (CASE WHEN jobs.payload->>'contest_id' ~ '^[0-9]{{1,18}}$' \
                        THEN (jobs.payload->>'contest_id')::bigint END)))"
    ))
}

/// Dead jobs that concern the admin's pages, newest first (see [`concerns_admin`]).
pub fn dead_for_admin(conn: &mut PgConnection, admin_id: i64, limit: i64) -> QueryResult<Vec<Job>> {
    jobs::table
        .filter(jobs::state.eq("dead"))
        .filter(concerns_admin(admin_id))
        .order(jobs::updated_at.desc())
        .limit(limit)
        .select(Job::as_select())
        .load(conn)
}

/// One dead job, only if it concerns the admin's pages.
pub fn find_dead_for_admin(conn: &mut PgConnection, admin_id: i64, id: i64) -> QueryResult<Job> {
    jobs::table
        .filter(jobs::id.eq(id))
        .filter(jobs::state.eq("dead"))
        .filter(concerns_admin(admin_id))
        .select(Job::as_select())
        .first(conn)
}
