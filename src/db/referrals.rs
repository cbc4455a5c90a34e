//! Referral codes, unique clicks and conversions. The rules (who gets credit)
//! are in `domain::referrals`; uniqueness is enforced here by constraints:
//! one primary code per person and contest, one click per code and visitor, one
//! credited conversion per referred person and contest.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use serde::Serialize;

use super::schema::{referral_clicks, referral_codes, referrals};

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = referral_codes)]
pub struct ReferralCode {
    pub code: String,
    pub contest_id: i64,
    pub contact_id: i64,
    pub is_primary: bool,
    pub created_at: DateTime<Utc>,
}

pub fn find_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<ReferralCode>> {
    referral_codes::table
        .find(code)
        .select(ReferralCode::as_select())
        .first(conn)
        .optional()
}

/// The person's code for the contest, if they have one.
pub fn code_of(
    conn: &mut PgConnection,
    contest_id: i64,
    contact_id: i64,
) -> QueryResult<Option<String>> {
    referral_codes::table
        .filter(referral_codes::contest_id.eq(contest_id))
        .filter(referral_codes::contact_id.eq(contact_id))
        .filter(referral_codes::is_primary.eq(true))
        .select(referral_codes::code)
        .first(conn)
        .optional()
}

/// Gives the person a code for the contest unless they have one (race-free: the
/// partial unique index decides). Returns their code.
pub fn ensure_code(
    conn: &mut PgConnection,
    contest_id: i64,
    contact_id: i64,
    fresh: &str,
) -> QueryResult<String> {
    diesel::sql_query(
        "INSERT INTO referral_codes (code, contest_id, contact_id) VALUES ($1, $2, $3) \
         ON CONFLICT (contest_id, contact_id) WHERE is_primary DO NOTHING",
    )
    .bind::<Text, _>(fresh)
    .bind::<BigInt, _>(contest_id)
    .bind::<BigInt, _>(contact_id)
    .execute(conn)?;
    code_of(conn, contest_id, contact_id)?.ok_or(diesel::result::Error::NotFound)
}

/// Records a click; `false` when this visitor already clicked this code.
pub fn record_click(
    conn: &mut PgConnection,
    code: &str,
    contest_id: i64,
    visitor_id: &str,
) -> QueryResult<bool> {
    let n = diesel::insert_into(referral_clicks::table)
        .values((
            referral_clicks::code.eq(code),
            referral_clicks::contest_id.eq(contest_id),
            referral_clicks::visitor_id.eq(visitor_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(n == 1)
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = referrals)]
pub struct Referral {
    pub id: i64,
    pub contest_id: i64,
    pub code: Option<String>,
    pub referrer_contact_id: i64,
    pub referred_contact_id: i64,
    pub entry_id: Option<i64>,
    pub status: String,
    pub reject_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct NewReferral<'a> {
    pub contest_id: i64,
    pub code: &'a str,
    pub referrer: i64,
    pub referred: i64,
    pub entry_id: i64,
    /// `None`: credited; else the reason it was rejected.
    pub rejected: Option<&'static str>,
}

/// Stores a conversion attempt. A second credited conversion for the same
/// referred person (a concurrent request) is refused by the index: `None`.
pub fn insert(conn: &mut PgConnection, r: &NewReferral<'_>) -> QueryResult<Option<Referral>> {
    let rows: Vec<Referral> = diesel::insert_into(referrals::table)
        .values((
            referrals::contest_id.eq(r.contest_id),
            referrals::code.eq(r.code),
            referrals::referrer_contact_id.eq(r.referrer),
            referrals::referred_contact_id.eq(r.referred),
            referrals::entry_id.eq(r.entry_id),
            referrals::status.eq(if r.rejected.is_some() {
                "rejected"
            } else {
                "credited"
            }),
            referrals::reject_reason.eq(r.rejected),
        ))
        .on_conflict_do_nothing()
        .returning(Referral::as_returning())
        .get_results(conn)?;
    Ok(rows.into_iter().next())
}

/// Was `referred` credited as referred by `referrer` in this contest?
pub fn credited(
    conn: &mut PgConnection,
    contest_id: i64,
    referrer: i64,
    referred: i64,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        referrals::table
            .filter(referrals::contest_id.eq(contest_id))
            .filter(referrals::referrer_contact_id.eq(referrer))
            .filter(referrals::referred_contact_id.eq(referred))
            .filter(referrals::status.eq("credited")),
    ))
    .get_result(conn)
}

pub fn list(conn: &mut PgConnection, contest_id: i64, limit: i64) -> QueryResult<Vec<Referral>> {
    referrals::table
        .filter(referrals::contest_id.eq(contest_id))
        .order(referrals::id.desc())
        .limit(limit)
        .select(Referral::as_select())
        .load(conn)
}

/// Per referrer: their code, unique clicks, credited and rejected conversions.
#[derive(QueryableByName, Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferrerStats {
    #[diesel(sql_type = BigInt)]
    pub contact_id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub display_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = BigInt)]
    pub clicks: i64,
    #[diesel(sql_type = BigInt)]
    pub conversions: i64,
    #[diesel(sql_type = BigInt)]
    pub rejected: i64,
}

pub fn stats(conn: &mut PgConnection, contest_id: i64) -> QueryResult<Vec<ReferrerStats>> {
    diesel::sql_query(
        "SELECT k.contact_id, c.display_name, k.code, \
           (SELECT count(*) FROM referral_clicks x JOIN referral_codes xk ON xk.code = x.code \
             WHERE xk.contest_id = k.contest_id AND xk.contact_id = k.contact_id) AS clicks, \
           (SELECT count(*) FROM referrals r WHERE r.contest_id = k.contest_id \
             AND r.referrer_contact_id = k.contact_id AND r.status = 'credited') AS conversions, \
           (SELECT count(*) FROM referrals r WHERE r.contest_id = k.contest_id \
             AND r.referrer_contact_id = k.contact_id AND r.status = 'rejected') AS rejected \
         FROM referral_codes k JOIN contacts c ON c.id = k.contact_id \
         WHERE k.contest_id = $1 AND k.is_primary \
         ORDER BY conversions DESC, clicks DESC, k.contact_id",
    )
    .bind::<BigInt, _>(contest_id)
    .load(conn)
}

/// Contact merges: the merged people's codes keep working for the survivor; the
/// survivor keeps (or, having none, inherits the oldest of) one primary code
/// per contest.
pub fn merge_codes(conn: &mut PgConnection, survivor: i64, others: &[i64]) -> QueryResult<usize> {
    let n = diesel::sql_query(
        "UPDATE referral_codes SET contact_id = $1, is_primary = false WHERE contact_id = ANY($2)",
    )
    .bind::<BigInt, _>(survivor)
    .bind::<Array<BigInt>, _>(others)
    .execute(conn)?;
    diesel::sql_query(
        "UPDATE referral_codes r SET is_primary = true FROM ( \
           SELECT DISTINCT ON (contest_id) code FROM referral_codes k WHERE k.contact_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM referral_codes p WHERE p.contact_id = $1 \
                             AND p.contest_id = k.contest_id AND p.is_primary) \
           ORDER BY contest_id, created_at, code) first \
         WHERE r.code = first.code",
    )
    .bind::<BigInt, _>(survivor)
    .execute(conn)?;
    Ok(n)
}

/// Contact merges, for conversions. Two people found to be one can turn a
/// conversion into a self-referral or a loop, or credit one person twice as
/// referred: those conversions are rejected and their points taken back with a
/// correcting ledger row (`reversal:referral:<id>`). Everything else is re-pointed.
pub fn merge_conversions(
    conn: &mut PgConnection,
    survivor: i64,
    others: &[i64],
) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let mut rejected: Vec<i64> = Vec::new();
    // Referred twice: keep the survivor's credit (else the oldest), reject the rest.
    rejected.extend(
        diesel::sql_query(
            "UPDATE referrals r SET status = 'rejected', reject_reason = 'duplicate_identity', updated_at = now() \
             WHERE r.status = 'credited' AND r.referred_contact_id = ANY($2) AND EXISTS ( \
               SELECT 1 FROM referrals s WHERE s.contest_id = r.contest_id AND s.status = 'credited' \
                 AND (s.referred_contact_id = $1 OR (s.referred_contact_id = ANY($2) AND s.id < r.id))) \
             RETURNING r.id",
        )
        .bind::<BigInt, _>(survivor)
        .bind::<Array<BigInt>, _>(others)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id),
    );
    let mut n = diesel::sql_query(
        "UPDATE referrals SET referrer_contact_id = $1, updated_at = now() WHERE referrer_contact_id = ANY($2)",
    )
    .bind::<BigInt, _>(survivor)
    .bind::<Array<BigInt>, _>(others)
    .execute(conn)?;
    n += diesel::sql_query(
        "UPDATE referrals SET referred_contact_id = $1, updated_at = now() WHERE referred_contact_id = ANY($2)",
    )
    .bind::<BigInt, _>(survivor)
    .bind::<Array<BigInt>, _>(others)
    .execute(conn)?;
    // Now one person on both sides: a self-referral.
    rejected.extend(
        diesel::sql_query(
            "UPDATE referrals SET status = 'rejected', reject_reason = 'self_referral', updated_at = now() \
             WHERE status = 'credited' AND referrer_contact_id = $1 AND referred_contact_id = $1 RETURNING id",
        )
        .bind::<BigInt, _>(survivor)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id),
    );
    // A referred B and B referred A: only the earlier (direct) credit stands.
    rejected.extend(
        diesel::sql_query(
            "UPDATE referrals r SET status = 'rejected', reject_reason = 'loop', updated_at = now() \
             WHERE r.status = 'credited' AND (r.referrer_contact_id = $1 OR r.referred_contact_id = $1) \
               AND EXISTS (SELECT 1 FROM referrals o WHERE o.contest_id = r.contest_id AND o.status = 'credited' \
                 AND o.referrer_contact_id = r.referred_contact_id \
                 AND o.referred_contact_id = r.referrer_contact_id AND o.id < r.id) \
             RETURNING r.id",
        )
        .bind::<BigInt, _>(survivor)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id),
    );
    if !rejected.is_empty() {
        let keys: Vec<String> = rejected.iter().map(|id| format!("referral:{id}")).collect();
        // Same shape as domain::points::reverse, in SQL because merges run in
        // the db layer. The award day is the UTC date: reversals have no caps.
        diesel::sql_query(
            "INSERT INTO point_awards (contest_id, contact_id, reason, points, source_key, award_day, note) \
             SELECT a.contest_id, a.contact_id, 'admin_adjustment', -a.points, 'reversal:' || a.source_key, \
                    (now() AT TIME ZONE 'UTC')::date, \
                    'reversed: the referral was rejected when two contacts turned out to be one person' \
             FROM point_awards a WHERE a.source_key = ANY($1) \
             ON CONFLICT (contest_id, source_key) DO NOTHING",
        )
        .bind::<Array<Text>, _>(keys)
        .execute(conn)?;
    }
    Ok(n)
}

/// Erasure: the person's clicks keep counting for the referrer but no longer
/// name the browser. Runs before the visitors eraser (which it reads).
pub fn erase_clicks(conn: &mut PgConnection, contact_ids: &[i64]) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE referral_clicks SET visitor_id = NULL \
         WHERE visitor_id IN (SELECT id FROM visitors WHERE contact_id = ANY($1))",
    )
    .bind::<Array<BigInt>, _>(contact_ids)
    .execute(conn)
}

/// Erasure: the person's own referral links stop working (a code is a
/// pseudonymous handle on them); their clicks go with them.
pub fn erase_codes(conn: &mut PgConnection, contact_ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(referral_codes::table.filter(referral_codes::contact_id.eq_any(contact_ids)))
        .execute(conn)
}
