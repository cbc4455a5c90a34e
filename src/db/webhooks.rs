//! Queries for webhook deliveries and their events.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer};
use serde::Serialize;

use super::schema::{webhook_deliveries, webhook_events};

#[derive(Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDelivery<'a> {
    pub body: &'a [u8],
    pub body_sha256: &'a [u8],
    pub signature: &'a str,
    pub parse_status: &'a str,
    pub parse_error: Option<&'a str>,
    pub object: Option<&'a str>,
    pub event_count: i32,
}

#[derive(Insertable)]
#[diesel(table_name = webhook_events)]
pub struct NewEvent<'a> {
    pub delivery_id: i64,
    pub seq: i32,
    pub object: &'a str,
    pub page_id: Option<&'a str>,
    pub kind: &'a str,
    pub field: Option<&'a str>,
    pub item: Option<&'a str>,
    pub verb: Option<&'a str>,
    pub post_id: Option<&'a str>,
    pub comment_id: Option<&'a str>,
    pub parent_id: Option<&'a str>,
    pub share_id: Option<&'a str>,
    pub reaction_type: Option<&'a str>,
    pub sender_id: Option<&'a str>,
    pub sender_name: Option<&'a str>,
    pub message: Option<&'a str>,
    pub created_time: Option<DateTime<Utc>>,
    pub entry_time: Option<DateTime<Utc>>,
    pub value: &'a serde_json::Value,
    pub handled: bool,
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliverySummary {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub parse_status: String,
    pub parse_error: Option<String>,
    pub object: Option<String>,
    pub event_count: i32,
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = webhook_events)]
pub struct Event {
    pub id: i64,
    pub delivery_id: i64,
    pub seq: i32,
    pub object: String,
    pub page_id: Option<String>,
    pub kind: String,
    pub field: Option<String>,
    pub item: Option<String>,
    pub verb: Option<String>,
    pub post_id: Option<String>,
    pub comment_id: Option<String>,
    pub parent_id: Option<String>,
    pub share_id: Option<String>,
    pub reaction_type: Option<String>,
    pub sender_id: Option<String>,
    pub sender_name: Option<String>,
    pub message: Option<String>,
    pub created_time: Option<DateTime<Utc>>,
    pub entry_time: Option<DateTime<Utc>>,
    pub value: serde_json::Value,
    pub handled: bool,
    pub processed_at: Option<DateTime<Utc>>,
}

/// Inserts deliveries, skipping bodies already stored (the unique digest decides,
/// so concurrent identical deliveries cannot both insert). Returns `(id, digest)`
/// of the rows actually inserted.
pub fn insert_deliveries(
    conn: &mut PgConnection,
    rows: &[NewDelivery<'_>],
) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    use webhook_deliveries::dsl as d;
    diesel::insert_into(d::webhook_deliveries)
        .values(rows)
        .on_conflict(d::body_sha256)
        .do_nothing()
        .returning((d::id, d::body_sha256))
        .get_results(conn)
}

/// Inserts events in chunks that stay under Postgres' bind-parameter limit.
pub fn insert_events(conn: &mut PgConnection, rows: &[NewEvent<'_>]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in rows.chunks(1000) {
        n += diesel::insert_into(webhook_events::table)
            .values(chunk)
            .execute(conn)?;
    }
    Ok(n)
}

/// Queues one `process_event` job per event of the given deliveries.
pub fn enqueue_event_jobs(
    conn: &mut PgConnection,
    delivery_ids: &[i64],
    max_attempts: i32,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO jobs (kind, payload, max_attempts) \
         SELECT 'process_event', jsonb_build_object('event_id', e.id), $2 \
         FROM webhook_events e WHERE e.delivery_id = ANY($1) ORDER BY e.id",
    )
    .bind::<Array<BigInt>, _>(delivery_ids)
    .bind::<Integer, _>(max_attempts)
    .execute(conn)
}

pub fn find_event(conn: &mut PgConnection, event_id: i64) -> QueryResult<Event> {
    webhook_events::table
        .find(event_id)
        .select(Event::as_select())
        .first(conn)
}

/// Marks the given events processed and returns the ones that were not yet, in id
/// order. The caller applies them in the same transaction, so a failure rolls the
/// mark back with the effects. One statement instead of a read before and an
/// update after the effects (issue 10 P3); the row locks it takes also make a
/// concurrent duplicate job for the same event wait and then skip it.
pub fn take_unprocessed(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<Event>> {
    let mut events: Vec<Event> = diesel::update(
        webhook_events::table
            .filter(webhook_events::id.eq_any(ids))
            .filter(webhook_events::processed_at.is_null()),
    )
    .set(webhook_events::processed_at.eq(diesel::dsl::now))
    .returning(Event::as_returning())
    .get_results(conn)?;
    events.sort_by_key(|e| e.id);
    Ok(events)
}

pub fn recent_deliveries(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<DeliverySummary>> {
    webhook_deliveries::table
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(DeliverySummary::as_select())
        .load(conn)
}

pub fn count_deliveries(conn: &mut PgConnection) -> QueryResult<i64> {
    webhook_deliveries::table.count().get_result(conn)
}

/// A delivery as an admin's dashboard shows it: the summary, and how many of its
/// events came from the admin's own pages.
#[derive(Debug, Clone, Serialize)]
pub struct AdminDelivery {
    #[serde(flatten)]
    pub delivery: DeliverySummary,
    pub own_events: i64,
}

/// Recent deliveries that concern the admin: those with at least one event from
/// a page they manage, plus unparseable ones (which name no page and carry no
/// event, so they cannot belong to anyone else either). Newest first.
pub fn recent_deliveries_for_admin(
    conn: &mut PgConnection,
    admin_id: i64,
    limit: i64,
) -> QueryResult<Vec<AdminDelivery>> {
    use diesel::dsl::sql;
    // `admin_id` is an i64, formatted as digits: nothing else can reach the SQL.
    let own = format!(
        "(SELECT count(*) FROM webhook_events e \
           JOIN pages p ON p.fb_page_id = e.page_id \
           JOIN page_admins pa ON pa.page_id = p.id \
          WHERE e.delivery_id = webhook_deliveries.id AND pa.admin_id = {admin_id})"
    );
    let rows: Vec<(DeliverySummary, i64)> = webhook_deliveries::table
        .filter(sql::<diesel::sql_types::Bool>(&format!(
            "(webhook_deliveries.parse_status <> 'parsed' OR {own} > 0)"
        )))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select((DeliverySummary::as_select(), sql::<BigInt>(&own)))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(delivery, own_events)| AdminDelivery {
            delivery,
            own_events,
        })
        .collect())
}
