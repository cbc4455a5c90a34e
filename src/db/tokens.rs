//! Stored platform tokens and their revocation.

use diesel::prelude::*;

/// Revokes what a deauthorizing user (or page, when `user_id` is "0") granted.
/// Returns the number of tokens revoked. Token tables join this function as the
/// features that store tokens land.
pub fn revoke_for_deauthorization(
    _conn: &mut PgConnection,
    _user_id: &str,
    _profile_id: Option<&str>,
) -> QueryResult<usize> {
    Ok(0)
}
