//! Queries for webhook deliveries and their events.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Binary, Integer, Nullable, Text};
use serde::Serialize;

use super::prepared::prepared;
use super::schema::{webhook_deliveries, webhook_events};
use crate::platform::facebook::webhook::{ParsedDelivery, ParsedEvent};

/// A delivery to store (`insert_group` sends the group as arrays).
pub struct NewDelivery<'a> {
    pub body: &'a [u8],
    pub body_sha256: &'a [u8],
    pub signature: &'a str,
    pub parse_status: &'a str,
    pub parse_error: Option<&'a str>,
    pub object: Option<&'a str>,
    pub event_count: i32,
}

/// The job that turns a group of stored deliveries into events and CRM data
/// (`jobs::handlers::process_deliveries`).
pub const PROCESS_DELIVERIES: &str = "process_deliveries";

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

impl Event {
    /// An event of a delivery as parsed, not stored yet (`id` 0 until
    /// [`store_new_events`] stores it). It takes the parsed event's strings and
    /// value instead of copying them. `processed_at` is set when the job that
    /// stores it applies it in the same transaction, `None` when a
    /// `process_event` job will apply it later.
    pub fn parsed(delivery_id: i64, ev: ParsedEvent, processed_at: Option<DateTime<Utc>>) -> Event {
        Event {
            id: 0,
            delivery_id,
            seq: ev.seq,
            object: ev.object,
            page_id: ev.page_id,
            kind: ev.kind.as_str().to_string(),
            field: ev.field,
            item: ev.item,
            verb: ev.verb,
            post_id: ev.post_id,
            comment_id: ev.comment_id,
            parent_id: ev.parent_id,
            share_id: ev.share_id,
            reaction_type: ev.reaction_type,
            sender_id: ev.sender_id,
            sender_name: ev.sender_name,
            message: ev.message,
            created_time: ev.created_time,
            entry_time: ev.entry_time,
            value: ev.value,
            handled: ev.handled,
            processed_at,
        }
    }

    /// Every event of a parsed delivery (see [`Event::parsed`]).
    pub fn of_delivery(
        delivery_id: i64,
        delivery: ParsedDelivery,
        processed_at: Option<DateTime<Utc>>,
    ) -> impl Iterator<Item = Event> {
        delivery
            .events
            .into_iter()
            .map(move |ev| Event::parsed(delivery_id, ev, processed_at))
    }
}

#[derive(QueryableByName)]
struct Inserted {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Binary)]
    body_sha256: Vec<u8>,
}

/// Stores a group of deliveries and queues one [`PROCESS_DELIVERIES`] job for
/// those with events, in **one** statement: run outside an explicit transaction
/// it is its own transaction, so the group costs one round trip and one commit
/// (issue 10, P1). Bodies already stored are skipped (the unique digest decides,
/// so concurrent identical deliveries cannot both insert; a digest twice in the
/// group is inserted once). Returns `(id, digest)` of the rows actually inserted.
///
/// The events are not split into rows here: that is the job's work, off the
/// acknowledgement path. The job is in the same statement as the deliveries, so
/// a stored delivery always has its job.
pub fn insert_group(
    conn: &mut PgConnection,
    rows: &[NewDelivery<'_>],
    max_attempts: i32,
) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    // Prepared once per connection: parsing and planning this statement for
    // every group cost more Postgres CPU than storing a small group's rows.
    let inserted: Vec<Inserted> = prepared(
        diesel::sql_query(
            "WITH d AS ( \
           INSERT INTO webhook_deliveries \
             (body, body_sha256, signature, parse_status, parse_error, object, event_count) \
           SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::text[], $4::text[], $5::text[], \
                                $6::text[], $7::int4[]) \
           ON CONFLICT (body_sha256) DO NOTHING \
           RETURNING id, body_sha256, event_count, octet_length(body) AS bytes \
         ), job AS ( \
           INSERT INTO jobs (kind, payload, max_attempts) \
           SELECT $8, jsonb_build_object('delivery_ids', jsonb_agg(id ORDER BY id), \
                    'events', sum(event_count), 'bytes', sum(bytes)), $9 \
           FROM d WHERE event_count > 0 HAVING count(*) > 0 \
         ) \
         SELECT id, body_sha256 FROM d",
        )
        .bind::<Array<Binary>, _>(rows.iter().map(|r| r.body).collect::<Vec<_>>())
        .bind::<Array<Binary>, _>(rows.iter().map(|r| r.body_sha256).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.signature).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.parse_status).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.parse_error).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.object).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(rows.iter().map(|r| r.event_count).collect::<Vec<_>>())
        .bind::<Text, _>(PROCESS_DELIVERIES)
        .bind::<Integer, _>(max_attempts),
    )
    .load(conn)?;
    Ok(inserted
        .into_iter()
        .map(|r| (r.id, r.body_sha256))
        .collect())
}

/// The bodies of the given parsed deliveries, in id order.
pub fn parsed_bodies(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::id.eq_any(ids))
        .filter(webhook_deliveries::parse_status.eq("parsed"))
        .order(webhook_deliveries::id)
        .select((webhook_deliveries::id, webhook_deliveries::body))
        .load(conn)
}

/// Stores the events not stored yet (a delivery's `(delivery_id, seq)` is
/// unique), 1,000 rows per statement, and returns those it stored, with their
/// ids, in id order; the others are dropped.
///
/// A handled event applied as it is stored (`processed_at` set) is stored with
/// `{}` as its value: its columns hold what processing reads, and its raw value
/// stays in the delivery body. Writing (and Postgres parsing) a second copy of
/// every value was about a third of the event insert (issue 10 P3). The value
/// is kept whole for events left to a `process_event` job, which reads it back,
/// and for unhandled events (an unknown field or verb), whose value is the only
/// typed record of what came. The returned events keep their values either way.
pub fn store_new_events(conn: &mut PgConnection, events: Vec<Event>) -> QueryResult<Vec<Event>> {
    use diesel::sql_types::{Bool, Jsonb, Timestamptz};
    #[derive(QueryableByName)]
    struct Key {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = BigInt)]
        delivery_id: i64,
        #[diesel(sql_type = Integer)]
        seq: i32,
    }
    let mut ids = std::collections::HashMap::with_capacity(events.len());
    for chunk in events.chunks(1000) {
        // One array per column (21 parameters) instead of a VALUES list with a
        // parameter per value (21,000 for 1,000 rows), which Postgres parsed
        // and planned for every batch (issue 10 P3). Only the keys come back:
        // the caller has the rest, which spares Postgres sending (and us
        // parsing) every value again.
        let inserted: Vec<Key> = prepared(diesel::sql_query(
            "INSERT INTO webhook_events (delivery_id, seq, object, page_id, kind, field, item, verb, \
               post_id, comment_id, parent_id, share_id, reaction_type, sender_id, sender_name, \
               message, created_time, entry_time, value, handled, processed_at) \
             SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], \
               $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
               $13::text[], $14::text[], $15::text[], $16::text[], $17::timestamptz[], \
               $18::timestamptz[], $19::jsonb[], $20::bool[], $21::timestamptz[]) \
             ON CONFLICT (delivery_id, seq) DO NOTHING \
             RETURNING id, delivery_id, seq",
        )
        .bind::<Array<BigInt>, _>(column(chunk, |e| e.delivery_id))
        .bind::<Array<Integer>, _>(column(chunk, |e| e.seq))
        .bind::<Array<Text>, _>(column(chunk, |e| e.object.as_str()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.page_id.as_deref()))
        .bind::<Array<Text>, _>(column(chunk, |e| e.kind.as_str()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.field.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.item.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.verb.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.post_id.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.comment_id.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.parent_id.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.share_id.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.reaction_type.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.sender_id.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.sender_name.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(chunk, |e| e.message.as_deref()))
        .bind::<Array<Nullable<Timestamptz>>, _>(column(chunk, |e| e.created_time))
        .bind::<Array<Nullable<Timestamptz>>, _>(column(chunk, |e| e.entry_time))
        .bind::<Array<Jsonb>, _>(column(chunk, |e| match (e.processed_at, e.handled) {
            (Some(_), true) => &*EMPTY_VALUE,
            _ => &e.value,
        }))
        .bind::<Array<Bool>, _>(column(chunk, |e| e.handled))
        .bind::<Array<Nullable<Timestamptz>>, _>(column(chunk, |e| e.processed_at)))
        .load(conn)?;
        ids.extend(inserted.into_iter().map(|k| ((k.delivery_id, k.seq), k.id)));
    }
    let mut stored: Vec<Event> = events
        .into_iter()
        .filter_map(|mut e| {
            e.id = *ids.get(&(e.delivery_id, e.seq))?;
            Some(e)
        })
        .collect();
    stored.sort_by_key(|e| e.id);
    Ok(stored)
}

/// The stored value of an event applied as it was split (see [`store_new_events`]).
static EMPTY_VALUE: std::sync::LazyLock<serde_json::Value> =
    std::sync::LazyLock::new(|| serde_json::json!({}));

/// One column of events, as an array parameter.
fn column<'a, T>(events: &'a [Event], f: impl Fn(&'a Event) -> T) -> Vec<T> {
    events.iter().map(f).collect()
}

/// Queues one `process_event` job per unprocessed event of the given deliveries.
pub fn enqueue_event_jobs(
    conn: &mut PgConnection,
    delivery_ids: &[i64],
    max_attempts: i32,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO jobs (kind, payload, max_attempts) \
         SELECT 'process_event', jsonb_build_object('event_id', e.id), $2 \
         FROM webhook_events e WHERE e.delivery_id = ANY($1) AND e.processed_at IS NULL \
         ORDER BY e.id",
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
