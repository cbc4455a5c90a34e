//! Extension points run inside the transaction that stores an entry or a vote, so
//! later features (referral conversions, points) commit with it or not at all.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;

use crate::db::contests::Contest;
use crate::db::entries::Entry;
use crate::domain::entering::Entrant;
use crate::error::AppError;

pub fn after_entry(
    _conn: &mut PgConnection,
    _contest: &Contest,
    _entry: &Entry,
    _entrant: &Entrant,
    _now: DateTime<Utc>,
) -> Result<(), AppError> {
    Ok(())
}

pub fn after_vote(
    _conn: &mut PgConnection,
    _contest: &Contest,
    _entry: &Entry,
    _vote_id: i64,
    _now: DateTime<Utc>,
) -> Result<(), AppError> {
    Ok(())
}

/// The SHA-256 commitment to a contest's draw seed, published on its rules page
/// once the contest opens (the draw feature fills this in).
pub async fn published_commitment(
    _state: &crate::state::AppState,
    _contest_id: i64,
) -> Result<Option<String>, AppError> {
    Ok(None)
}

/// Runs when a contest enters a new state (opening commits to the draw seed).
pub fn on_contest_state(
    _conn: &mut PgConnection,
    _contest: &Contest,
    _to: crate::domain::contest::Status,
) -> Result<(), AppError> {
    Ok(())
}
