//! The CRM timeline. Every interaction is one row; a `dedupe_key` (webhook event
//! id, request id, ...) makes recording idempotent.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::prepared::prepared;
use super::schema::activities;

#[derive(Debug, Clone)]
pub struct NewActivity<'a> {
    pub page_id: i64,
    pub contact_id: Option<i64>,
    pub visitor_id: Option<&'a str>,
    pub contest_id: Option<i64>,
    pub kind: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub details: serde_json::Value,
    pub dedupe_key: Option<String>,
}

/// Records an activity; a replay with the same dedupe key changes nothing.
/// Returns whether a row was added.
pub fn record(conn: &mut PgConnection, a: &NewActivity<'_>) -> QueryResult<bool> {
    let n = diesel::insert_into(activities::table)
        .values((
            activities::page_id.eq(a.page_id),
            activities::contact_id.eq(a.contact_id),
            activities::visitor_id.eq(a.visitor_id),
            activities::contest_id.eq(a.contest_id),
            activities::kind.eq(a.kind),
            activities::occurred_at.eq(a.occurred_at),
            activities::details.eq(&a.details),
            activities::dedupe_key.eq(&a.dedupe_key),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(n == 1)
}

/// Records many activities in one statement;
/// rows whose dedupe key exists already, or appears earlier in `rows`, are
/// skipped, exactly as successive [`record`] calls would. Returns rows added.
pub fn record_many(conn: &mut PgConnection, rows: &[NewActivity<'_>]) -> QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text, Timestamptz};
    if rows.is_empty() {
        return Ok(0);
    }
    // One array per column instead of a VALUES list with a parameter per value:
    // 8 parameters whatever the number of rows, so Postgres parses and plans a
    // small statement (a 1,000-row VALUES list has 8,000), issue 10 P3. Rows go
    // in the order given (ordinality), so an earlier duplicate key wins.
    fn col<'r, T>(rows: &'r [NewActivity<'_>], f: impl Fn(&'r NewActivity<'_>) -> T) -> Vec<T> {
        rows.iter().map(f).collect()
    }
    prepared(diesel::sql_query(
        "INSERT INTO activities (page_id, contact_id, visitor_id, contest_id, kind, occurred_at, details, dedupe_key) \
         SELECT p, c, v, t, k, o, d, x \
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], \
                     $6::timestamptz[], $7::jsonb[], $8::text[]) WITH ORDINALITY AS r(p, c, v, t, k, o, d, x, n) \
         ORDER BY n \
         ON CONFLICT DO NOTHING",
    )
    .bind::<Array<BigInt>, _>(col(rows, |a| a.page_id))
    .bind::<Array<Nullable<BigInt>>, _>(col(rows, |a| a.contact_id))
    .bind::<Array<Nullable<Text>>, _>(col(rows, |a| a.visitor_id))
    .bind::<Array<Nullable<BigInt>>, _>(col(rows, |a| a.contest_id))
    .bind::<Array<Text>, _>(col(rows, |a| a.kind))
    .bind::<Array<Timestamptz>, _>(col(rows, |a| a.occurred_at))
    .bind::<Array<Jsonb>, _>(col(rows, |a| &a.details))
    .bind::<Array<Nullable<Text>>, _>(col(rows, |a| a.dedupe_key.as_deref())))
    .execute(conn)
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = activities)]
pub struct Activity {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub contest_id: Option<i64>,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub details: serde_json::Value,
}

pub fn timeline(
    conn: &mut PgConnection,
    contact_id: i64,
    limit: i64,
) -> QueryResult<Vec<Activity>> {
    activities::table
        .filter(activities::contact_id.eq(contact_id))
        .order((activities::occurred_at.desc(), activities::id.desc()))
        .limit(limit)
        .select(Activity::as_select())
        .load(conn)
}

/// Once a visitor becomes known, their anonymous history becomes theirs.
pub fn claim_visitor(
    conn: &mut PgConnection,
    visitor_id: &str,
    contact_id: i64,
) -> QueryResult<usize> {
    diesel::update(
        activities::table
            .filter(activities::visitor_id.eq(visitor_id))
            .filter(activities::contact_id.is_null()),
    )
    .set(activities::contact_id.eq(contact_id))
    .execute(conn)
}

/// Merges fields into an activity's details (comment edits and removals).
pub fn patch_details(
    conn: &mut PgConnection,
    page_id: i64,
    dedupe_key: &str,
    patch: &serde_json::Value,
) -> QueryResult<usize> {
    diesel::update(
        activities::table
            .filter(activities::page_id.eq(page_id))
            .filter(activities::dedupe_key.eq(dedupe_key)),
    )
    .set(
        activities::details.eq(diesel::dsl::sql::<diesel::sql_types::Jsonb>("details || ")
            .bind::<diesel::sql_types::Jsonb, _>(patch)),
    )
    .execute(conn)
}
