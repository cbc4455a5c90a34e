//! Revocation of stored platform tokens when someone removes the app.

use diesel::prelude::*;

use super::{admins, fan_tokens, pages};

/// Revokes what a deauthorizing user granted: their admin token and sessions, the
/// page tokens that came from their login, and their fan token. When `user_id` is
/// "0" and `profile_id` is set, the page itself removed the app. Returns how many
/// tokens were revoked.
pub fn revoke_for_deauthorization(
    conn: &mut PgConnection,
    user_id: &str,
    profile_id: Option<&str>,
) -> QueryResult<usize> {
    if user_id == "0" {
        return match profile_id {
            Some(page) => pages::revoke_page(conn, page),
            None => Ok(0),
        };
    }
    let mut n = 0;
    if let Some(admin) = admins::find_by_fb_id(conn, user_id)? {
        n += admins::revoke(conn, user_id)?;
        n += pages::revoke_tokens_from_admin(conn, admin.id)?;
    }
    n += fan_tokens::delete(conn, user_id)?;
    Ok(n)
}
