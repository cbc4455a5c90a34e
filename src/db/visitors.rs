//! Fan page visitors (a cookie), linked to a contact once the person is known.

use diesel::prelude::*;

use super::schema::visitors;

pub fn touch(conn: &mut PgConnection, id: &str, page_id: i64) -> QueryResult<()> {
    diesel::insert_into(visitors::table)
        .values((visitors::id.eq(id), visitors::page_id.eq(page_id)))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|_| ())
}

pub fn link(conn: &mut PgConnection, id: &str, page_id: i64, contact_id: i64) -> QueryResult<()> {
    // `linked_at` keeps the first link: from then on the browser's views are a
    // known person's (daily visit points, `views::flush`).
    diesel::sql_query(
        "INSERT INTO visitors (id, page_id, contact_id, linked_at) VALUES ($1, $2, $3, now()) \
         ON CONFLICT (id) DO UPDATE SET contact_id = EXCLUDED.contact_id, \
           linked_at = COALESCE(visitors.linked_at, now())",
    )
    .bind::<diesel::sql_types::Text, _>(id)
    .bind::<diesel::sql_types::BigInt, _>(page_id)
    .bind::<diesel::sql_types::BigInt, _>(contact_id)
    .execute(conn)
    .map(|_| ())
}

pub fn contact_of(conn: &mut PgConnection, id: &str) -> QueryResult<Option<i64>> {
    Ok(visitors::table
        .find(id)
        .select(visitors::contact_id)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten())
}
