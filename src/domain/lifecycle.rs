//! Moving a contest through its lifecycle, by an admin or by the clock. Every
//! transition is checked, audited, and runs the hooks of the new state (opening a
//! contest commits to its draw seed, sealed with `cipher`).

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use serde_json::json;

use crate::crypto::tokens::TokenCipher;
use crate::db::audit::{self, Audit};
use crate::db::contests::{self, Contest};
use crate::domain::contest::{check_transition, Status};
use crate::error::AppError;

/// `admin` is None when the clock moves the contest.
pub fn transition(
    conn: &mut PgConnection,
    contest_id: i64,
    admin: Option<i64>,
    to: Status,
    now: DateTime<Utc>,
    cipher: &TokenCipher,
) -> Result<Contest, AppError> {
    let current = match admin {
        Some(a) => contests::lock_for_admin(conn, a, contest_id)?,
        None => contests::find(conn, contest_id)?,
    };
    // An admin sees (and moves from) the status with the clock applied.
    let from = current.effective_status(now);
    if from == to {
        return Ok(current);
    }
    check_transition(
        from,
        to,
        &current.rules_text,
        current.closes_at,
        current.kind(),
        current.linked_post_id.as_deref(),
        now,
    )?;
    let updated = contests::set_status(conn, contest_id, to.as_str())?;
    on_enter_state(conn, &updated, to, cipher)?;
    audit::record(
        conn,
        Audit {
            page_id: Some(updated.page_id),
            admin_id: admin,
            action: "contest.transition",
            subject_type: "contest",
            subject_id: Some(contest_id),
            details: json!({"from": from.as_str(), "to": to.as_str(), "by": if admin.is_some() { "admin" } else { "clock" }}),
        },
    )?;
    Ok(updated)
}

/// Persists what the clock already decided (opening and closing on schedule).
pub fn apply_clock(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    cipher: &TokenCipher,
) -> Result<usize, AppError> {
    let mut n = 0;
    for c in contests::due_for_clock(conn, now)? {
        let target = c.effective_status(now);
        if target.as_str() != c.status {
            // Closing a scheduled contest that never opened goes through open.
            if c.status() == Status::Scheduled && target == Status::Closed {
                contests::set_status(conn, c.id, Status::Open.as_str())?;
            }
            let updated = contests::set_status(conn, c.id, target.as_str())?;
            on_enter_state(conn, &updated, target, cipher)?;
            audit::record(
                conn,
                Audit {
                    page_id: Some(c.page_id),
                    admin_id: None,
                    action: "contest.transition",
                    subject_type: "contest",
                    subject_id: Some(c.id),
                    details: json!({"from": c.status, "to": target.as_str(), "by": "clock"}),
                },
            )?;
            n += 1;
        }
    }
    Ok(n)
}

/// Work that comes with a new state, committed with the transition.
fn on_enter_state(
    conn: &mut PgConnection,
    contest: &Contest,
    to: Status,
    cipher: &TokenCipher,
) -> Result<(), AppError> {
    if to == Status::Open && contest.kind() == crate::domain::contest::Kind::CommentToEnter {
        // Comments written before the webhook subscription existed are picked up.
        queue_backfill(conn, contest.id, 8)?;
    }
    crate::domain::hooks::on_contest_state(conn, contest, to, cipher)?;
    Ok(())
}

/// One queued backfill per contest at a time.
pub fn queue_backfill(
    conn: &mut PgConnection,
    contest_id: i64,
    max_attempts: i32,
) -> diesel::QueryResult<bool> {
    use crate::jobs::handlers::backfill_comments::{Payload, KIND};
    let job = crate::db::jobs::NewJob::new(KIND, json!(Payload { contest_id }), max_attempts)
        .dedupe(format!("{KIND}:{contest_id}"));
    Ok(crate::db::jobs::enqueue(conn, &job)?.is_some())
}
