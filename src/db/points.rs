//! The points ledger (`point_awards`, append-only: a trigger refuses updates and
//! deletes) and the balances the same trigger keeps equal to the ledger's sums.
//! Rules and caps live in `domain::points`.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use serde::Serialize;

use super::schema::{contacts, point_awards, point_balances};

#[derive(Queryable, Selectable, Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[diesel(table_name = point_awards)]
pub struct PointAward {
    pub id: i64,
    pub contest_id: i64,
    pub contact_id: i64,
    pub reason: String,
    pub points: i32,
    pub source_key: String,
    pub award_day: NaiveDate,
    pub note: Option<String>,
    pub admin_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = point_awards)]
pub struct NewAward {
    pub contest_id: i64,
    pub contact_id: i64,
    pub reason: String,
    pub points: i32,
    pub source_key: String,
    pub award_day: NaiveDate,
    pub note: Option<String>,
    pub admin_id: Option<i64>,
}

/// Serialises awards to one contact in one contest until the transaction ends.
pub fn lock_contact(conn: &mut PgConnection, contest_id: i64, contact_id: i64) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7242005))")
        .bind::<Text, _>(format!("points|{contest_id}|{contact_id}"))
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_source(
    conn: &mut PgConnection,
    contest_id: i64,
    source_key: &str,
) -> QueryResult<Option<PointAward>> {
    point_awards::table
        .filter(point_awards::contest_id.eq(contest_id))
        .filter(point_awards::source_key.eq(source_key))
        .select(PointAward::as_select())
        .first(conn)
        .optional()
}

/// Points a contact earned for a reason, on one day or over the contest.
pub fn earned(
    conn: &mut PgConnection,
    contest_id: i64,
    contact_id: i64,
    reason: &str,
    day: Option<NaiveDate>,
) -> QueryResult<i64> {
    let mut q = point_awards::table
        .filter(point_awards::contest_id.eq(contest_id))
        .filter(point_awards::contact_id.eq(contact_id))
        .filter(point_awards::reason.eq(reason))
        .select(diesel::dsl::sum(point_awards::points))
        .into_boxed();
    if let Some(d) = day {
        q = q.filter(point_awards::award_day.eq(d));
    }
    Ok(q.first::<Option<i64>>(conn)?.unwrap_or(0))
}

/// Adds a ledger row; `None` when its source key is already in the ledger.
pub fn insert(conn: &mut PgConnection, a: &NewAward) -> QueryResult<Option<PointAward>> {
    diesel::insert_into(point_awards::table)
        .values(a)
        .on_conflict_do_nothing()
        .returning(PointAward::as_returning())
        .get_result(conn)
        .optional()
}

pub fn balance(conn: &mut PgConnection, contest_id: i64, contact_id: i64) -> QueryResult<i64> {
    Ok(point_balances::table
        .find((contest_id, contact_id))
        .select(point_balances::points)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Balances of several contacts (missing ones have none).
pub fn balances_of(
    conn: &mut PgConnection,
    contest_id: i64,
    contact_ids: &[i64],
) -> QueryResult<Vec<(i64, i64)>> {
    point_balances::table
        .filter(point_balances::contest_id.eq(contest_id))
        .filter(point_balances::contact_id.eq_any(contact_ids))
        .select((point_balances::contact_id, point_balances::points))
        .load(conn)
}

/// The ledger of a contest, newest first, optionally for one contact.
pub fn ledger(
    conn: &mut PgConnection,
    contest_id: i64,
    contact_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<PointAward>> {
    let mut q = point_awards::table
        .filter(point_awards::contest_id.eq(contest_id))
        .select(PointAward::as_select())
        .order(point_awards::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(c) = contact_id {
        q = q.filter(point_awards::contact_id.eq(c));
    }
    q.load(conn)
}

/// A contact's balance with what ranking needs to break ties.
#[derive(QueryableByName, Debug, Clone, Serialize)]
pub struct BalanceRow {
    #[diesel(sql_type = BigInt)]
    pub contact_id: i64,
    #[diesel(sql_type = BigInt)]
    pub points: i64,
    /// The contact's first entry in the contest (lowest id), if any.
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub first_entry_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub display_name: Option<String>,
}

/// The top `limit` balances of a contest with the contact's first entry and
/// name, in the order `domain::leaderboard::by_points` defines (the SQL repeats
/// it so a page view never loads every balance; a test checks they agree).
pub fn top_balances(
    conn: &mut PgConnection,
    contest_id: i64,
    limit: i64,
) -> QueryResult<Vec<BalanceRow>> {
    diesel::sql_query(
        "SELECT b.contact_id, b.points, f.first_entry_id, c.display_name \
         FROM point_balances b JOIN contacts c ON c.id = b.contact_id \
         LEFT JOIN LATERAL (SELECT min(e.id) AS first_entry_id FROM entries e \
                            WHERE e.contest_id = b.contest_id AND e.contact_id = b.contact_id) f ON true \
         WHERE b.contest_id = $1 \
         ORDER BY b.points DESC, f.first_entry_id ASC NULLS LAST, b.contact_id ASC \
         LIMIT $2",
    )
    .bind::<BigInt, _>(contest_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Is this contact on the contest's page? (Adjustments name contacts by id.)
pub fn contact_on_page(
    conn: &mut PgConnection,
    contact_id: i64,
    page_id: i64,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        contacts::table
            .filter(contacts::id.eq(contact_id))
            .filter(contacts::page_id.eq(page_id)),
    ))
    .get_result(conn)
}

/// Contact merges: ledger rows move to the survivor (the trigger moves the
/// balances with them). Source keys are per contest, not per contact, so no row
/// can collide.
pub fn merge_awards(conn: &mut PgConnection, survivor: i64, others: &[i64]) -> QueryResult<usize> {
    diesel::update(point_awards::table.filter(point_awards::contact_id.eq_any(others)))
        .set(point_awards::contact_id.eq(survivor))
        .execute(conn)
}

/// Contact merges: the merged contacts' balances are zero once their awards
/// moved (see [`merge_awards`], which runs first); drop the empty rows. A
/// non-zero balance is never dropped, so an ordering mistake cannot lose points.
pub fn merge_balances(
    conn: &mut PgConnection,
    _survivor: i64,
    others: &[i64],
) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM point_balances WHERE contact_id = ANY($1) AND points = 0")
        .bind::<Array<BigInt>, _>(others)
        .execute(conn)
}

/// Erasure: admins' notes about the person go; amounts stay (the trigger allows
/// exactly this change).
pub fn erase_notes(conn: &mut PgConnection, contact_ids: &[i64]) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE point_awards SET note = '[erased]' WHERE contact_id = ANY($1) AND note IS NOT NULL",
    )
    .bind::<Array<BigInt>, _>(contact_ids)
    .execute(conn)
}

/// Settles what entries earned with their moderation state. A rejected or
/// disqualified entry is worth nothing: the points it brought (its `entry` and
/// `bonus` awards, the `vote_received` awards of votes for it, the referral
/// conversion it triggered, net of earlier reversals) are taken back with one
/// correcting `admin_adjustment` row per contact. Restoring the entry gives them
/// back the same way. Append-only and idempotent: a second call finds nothing
/// to correct. Keys: `moderation:<entry>:<n>:<contact>`, `n` counting the
/// entry's settlements. Lives in SQL so contact merges (db layer) can call it.
pub fn settle_entries(
    conn: &mut PgConnection,
    entry_ids: &[i64],
    admin_id: Option<i64>,
) -> QueryResult<usize> {
    if entry_ids.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "INSERT INTO point_awards (contest_id, contact_id, reason, points, source_key, award_day, note, admin_id) \
         SELECT e.contest_id, s.contact_id, 'admin_adjustment', s.delta::int4, \
                'moderation:' || e.id || ':' || s.seq || ':' || s.contact_id, \
                (now() AT TIME ZONE 'UTC')::date, \
                CASE WHEN s.delta < 0 THEN 'taken back: entry ' || e.id || ' was ' || e.status \
                     ELSE 'given back: entry ' || e.id || ' was restored' END, \
                $2 \
         FROM entries e \
         CROSS JOIN LATERAL ( \
           SELECT a.contact_id, \
                  CASE WHEN e.status IN ('rejected', 'disqualified') THEN 0 \
                       ELSE COALESCE(SUM(a.points) FILTER (WHERE a.source_key NOT LIKE 'moderation:%'), 0) END \
                  - SUM(a.points) AS delta, \
                  (SELECT count(*) FROM point_awards m WHERE m.contest_id = e.contest_id \
                     AND m.source_key LIKE 'moderation:' || e.id || ':%') + 1 AS seq \
           FROM point_awards a \
           WHERE a.contest_id = e.contest_id AND ( \
                a.source_key IN ('entry:' || e.id, 'reversal:entry:' || e.id) \
             OR a.source_key LIKE 'bonus:' || e.id || ':%' \
             OR a.source_key LIKE 'reversal:bonus:' || e.id || ':%' \
             OR a.source_key LIKE 'moderation:' || e.id || ':%' \
             OR a.source_key IN (SELECT p.prefix || 'vote:' || v.id FROM votes v \
                  CROSS JOIN (VALUES (''), ('reversal:')) p(prefix) WHERE v.entry_id = e.id) \
             OR a.source_key IN (SELECT p.prefix || 'referral:' || r.id FROM referrals r \
                  CROSS JOIN (VALUES (''), ('reversal:')) p(prefix) WHERE r.entry_id = e.id)) \
           GROUP BY a.contact_id \
         ) s \
         WHERE e.id = ANY($1) AND s.delta <> 0 \
         ON CONFLICT (contest_id, source_key) DO NOTHING",
    )
    .bind::<Array<BigInt>, _>(entry_ids)
    .bind::<diesel::sql_types::Nullable<BigInt>, _>(admin_id)
    .execute(conn)
}

/// Contact merges: the survivor's entries (now including the merged ones, some
/// disqualified as duplicates) are settled with [`settle_entries`].
pub fn settle_merged_entries(
    conn: &mut PgConnection,
    survivor: i64,
    _others: &[i64],
) -> QueryResult<usize> {
    let ids: Vec<i64> = super::schema::entries::table
        .filter(super::schema::entries::contact_id.eq(survivor))
        .select(super::schema::entries::id)
        .load(conn)?;
    settle_entries(conn, &ids, None)
}
