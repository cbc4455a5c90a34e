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
