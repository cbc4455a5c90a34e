//! Fans' encrypted user tokens (kept for friend-count refreshes).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::fan_tokens;

pub fn upsert(
    conn: &mut PgConnection,
    fb_user_id: &str,
    token_enc: &[u8],
    scopes: &str,
    expires_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    diesel::insert_into(fan_tokens::table)
        .values((
            fan_tokens::fb_user_id.eq(fb_user_id),
            fan_tokens::token_enc.eq(token_enc),
            fan_tokens::scopes.eq(scopes),
            fan_tokens::expires_at.eq(expires_at),
        ))
        .on_conflict(fan_tokens::fb_user_id)
        .do_update()
        .set((
            fan_tokens::token_enc.eq(token_enc),
            fan_tokens::scopes.eq(scopes),
            fan_tokens::expires_at.eq(expires_at),
            fan_tokens::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Deauthorization: the fan's token is forgotten.
pub fn delete(conn: &mut PgConnection, fb_user_id: &str) -> QueryResult<usize> {
    diesel::delete(fan_tokens::table.filter(fan_tokens::fb_user_id.eq(fb_user_id))).execute(conn)
}
