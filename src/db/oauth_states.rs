//! OAuth `state` values, stored hashed and bound to the browser.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::oauth_states;

pub struct NewState<'a> {
    pub state_hash: &'a str,
    pub purpose: &'a str,
    pub browser_hash: &'a str,
    pub page_id: Option<i64>,
    pub return_to: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

pub fn create(conn: &mut PgConnection, s: &NewState<'_>) -> QueryResult<()> {
    diesel::insert_into(oauth_states::table)
        .values((
            oauth_states::state_hash.eq(s.state_hash),
            oauth_states::purpose.eq(s.purpose),
            oauth_states::browser_hash.eq(s.browser_hash),
            oauth_states::page_id.eq(s.page_id),
            oauth_states::return_to.eq(s.return_to),
            oauth_states::expires_at.eq(s.expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Queryable, Debug)]
pub struct UsedState {
    pub browser_hash: String,
    pub page_id: Option<i64>,
    pub return_to: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Marks the state used, atomically: a second use finds nothing.
pub fn consume(
    conn: &mut PgConnection,
    state_hash: &str,
    purpose: &str,
) -> QueryResult<Option<UsedState>> {
    diesel::update(
        oauth_states::table
            .filter(oauth_states::state_hash.eq(state_hash))
            .filter(oauth_states::purpose.eq(purpose))
            .filter(oauth_states::used_at.is_null()),
    )
    .set(oauth_states::used_at.eq(diesel::dsl::now))
    .returning((
        oauth_states::browser_hash,
        oauth_states::page_id,
        oauth_states::return_to,
        oauth_states::expires_at,
    ))
    .get_result(conn)
    .optional()
}

/// Old states are only clutter.
pub fn purge_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(
        oauth_states::table
            .filter(oauth_states::expires_at.lt(Utc::now() - chrono::Duration::days(1))),
    )
    .execute(conn)
}
