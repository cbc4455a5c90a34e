//! Moderating entries (approve, reject, disqualify), one at a time or in bulk.
//! Shared by the JSON API (`routes/api/entries.rs`) and the dashboard queue.

use diesel::pg::PgConnection;
use serde_json::json;

use crate::db::audit::{self, Audit};
use crate::db::{contests, entries};
use crate::error::AppError;

/// The moderation states of an entry.
pub const STATES: &[&str] = &["pending", "approved", "rejected", "disqualified"];

/// Most entries in one bulk action.
pub const MAX_BATCH: usize = 500;

/// Moderates entries; returns the changed entries. With `contest_id`, every entry
/// must belong to that contest (bulk in one contest); without it, each entry must
/// only be the admin's. Rejecting or disqualifying needs a reason, kept with the
/// entry and in the audit log. All or nothing: one foreign id fails the whole call.
pub fn apply(
    conn: &mut PgConnection,
    admin: i64,
    contest_id: Option<i64>,
    ids: &[i64],
    status: &str,
    reason: Option<&str>,
) -> Result<Vec<entries::Entry>, AppError> {
    if !STATES.contains(&status) {
        return Err(AppError::invalid(
            "invalid_status",
            format!("status must be one of {}", STATES.join(", ")),
        ));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if matches!(status, "rejected" | "disqualified") && reason.is_none() {
        return Err(AppError::invalid(
            "reason_required",
            "rejecting or disqualifying needs a reason",
        ));
    }
    if let Some(r) = reason {
        crate::domain::input::text("reason", r, 1, 500)?;
    }
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(AppError::invalid(
            "invalid_selection",
            format!("choose 1..={MAX_BATCH} entries"),
        ));
    }
    if let Some(c) = contest_id {
        contests::find_for_admin(conn, admin, c)?;
    }
    // Every id must be the admin's (and in the contest, for bulk): no partial writes.
    for id in ids {
        let e = entries::find_for_admin(conn, admin, *id)?;
        if contest_id.is_some_and(|c| c != e.contest_id) {
            return Err(AppError::not_found("entry not found in this contest"));
        }
    }
    let changed = entries::moderate(conn, admin, ids, status, reason)?;
    // Points follow: a rejected entry's points are taken back, a restored one's return.
    crate::db::points::settle_entries(conn, ids, Some(admin))?;
    // A rejected or disqualified entry can no longer win: its prize slot passes on.
    crate::domain::winners::exclude_entries(conn, &changed, Some(admin))?;
    for e in &changed {
        audit::record(
            conn,
            Audit {
                page_id: Some(e.page_id),
                admin_id: Some(admin),
                action: "entry.moderated",
                subject_type: "entry",
                subject_id: Some(e.id),
                details: json!({"status": status, "reason": reason}),
            },
        )?;
    }
    Ok(changed)
}
