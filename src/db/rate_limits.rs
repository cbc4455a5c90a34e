//! Fixed-window rate limits in Postgres, shared by every process (a limit kept in
//! one process's memory would multiply with the number of processes).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

/// Counts one hit for `key` in the current window of `window_secs`; returns whether
/// it is within `max`.
pub fn hit(conn: &mut PgConnection, key: &str, window_secs: i64, max: i32) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = Integer)]
        count: i32,
    }
    let c = diesel::sql_query(
        "INSERT INTO rate_limits (key, window_start, count) \
         VALUES ($1, to_timestamp(floor(extract(epoch from now()) / $2) * $2), 1) \
         ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1 \
         RETURNING count",
    )
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(window_secs)
    .get_result::<Count>(conn)?;
    Ok(c.count <= max)
}

/// Old windows are only clutter.
pub fn purge(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM rate_limits WHERE window_start < now() - interval '1 day'")
        .execute(conn)
}
