//! The CRM timeline. Every interaction is one row; a `dedupe_key` (webhook event
//! id, request id, ...) makes recording idempotent.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

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

/// Records many activities in one statement (at most ~8,000 rows: 8 binds each);
/// rows whose dedupe key exists already, or appears earlier in `rows`, are
/// skipped, exactly as successive [`record`] calls would. Returns rows added.
pub fn record_many(conn: &mut PgConnection, rows: &[NewActivity<'_>]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let values: Vec<_> = rows
        .iter()
        .map(|a| {
            (
                activities::page_id.eq(a.page_id),
                activities::contact_id.eq(a.contact_id),
                activities::visitor_id.eq(a.visitor_id),
                activities::contest_id.eq(a.contest_id),
                activities::kind.eq(a.kind),
                activities::occurred_at.eq(a.occurred_at),
                activities::details.eq(&a.details),
                activities::dedupe_key.eq(&a.dedupe_key),
            )
        })
        .collect();
    diesel::insert_into(activities::table)
        .values(values)
        .on_conflict_do_nothing()
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
