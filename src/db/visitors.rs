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
    diesel::insert_into(visitors::table)
        .values((
            visitors::id.eq(id),
            visitors::page_id.eq(page_id),
            visitors::contact_id.eq(Some(contact_id)),
        ))
        .on_conflict(visitors::id)
        .do_update()
        .set(visitors::contact_id.eq(Some(contact_id)))
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
