//! CRM reads: the contact list with filters, one contact's profile, and the export
//! row stream. All scoped by page (the caller has checked the admin manages it).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text, Timestamptz};
use serde::Serialize;

/// One contact row as the list and the export show it.
#[derive(QueryableByName, Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub postal_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub country: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub locale: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    pub age_min: Option<i32>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    pub age_max: Option<i32>,
    #[diesel(sql_type = Text)]
    pub first_source: String,
    #[diesel(sql_type = Timestamptz)]
    pub first_seen_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub last_seen_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    pub marketing_opt_in: bool,
    #[diesel(sql_type = BigInt)]
    pub entries: i64,
    #[diesel(sql_type = BigInt)]
    pub votes_cast: i64,
    #[diesel(sql_type = BigInt)]
    pub votes_received: i64,
    #[diesel(sql_type = BigInt)]
    pub referral_clicks: i64,
    #[diesel(sql_type = BigInt)]
    pub referral_conversions: i64,
    #[diesel(sql_type = BigInt)]
    pub shares: i64,
    #[diesel(sql_type = BigInt)]
    pub comments: i64,
    #[diesel(sql_type = BigInt)]
    pub reactions: i64,
    #[diesel(sql_type = BigInt)]
    pub mentions: i64,
    #[diesel(sql_type = BigInt)]
    pub page_views: i64,
    #[diesel(sql_type = BigInt)]
    pub points: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub sentiment: Option<f64>,
    #[diesel(sql_type = Double)]
    pub advocacy: f64,
    #[diesel(sql_type = BigInt)]
    pub reach: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub segments: Option<String>,
}

// Every contact has its metrics row (created with the contact by a trigger,
// migration 2026-12-05-000041), so the join is inner: the advocacy and reach
// orders can then walk an index on contact_metrics. The COALESCEs are kept from
// when the join was outer; they cost nothing.
const SELECT: &str = "SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max, \
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in, \
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast, \
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks, \
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares, \
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions, \
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views, \
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy, \
  m.reach AS reach, \
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm \
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments \
  FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id";

#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub segment: Option<String>,
    pub search: Option<String>,
    pub has_email: Option<bool>,
    pub min_sentiment: Option<f64>,
    pub sort: ContactSort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContactSort {
    #[default]
    Recent,
    Advocacy,
    Reach,
}

/// A page of contacts (keyset pagination on id for `Recent`, offset otherwise).
pub fn list(
    conn: &mut PgConnection,
    page_id: i64,
    f: &ContactFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<ContactRow>> {
    // The advocacy and reach orders name the metrics columns (not the output
    // aliases) and tie on m.contact_id (= c.id), so that with `m.page_id = $1`
    // they match contact_metrics_page_{advocacy,reach}_idx and the first page is
    // an index walk, not a sort of every contact (issue 10, P4).
    let order = match f.sort {
        ContactSort::Recent => "c.last_seen_at DESC, c.id DESC",
        ContactSort::Advocacy => "m.advocacy DESC, m.contact_id",
        ContactSort::Reach => "m.reach DESC, m.contact_id",
    };
    // The segment filter is sent with the segment's id as a value, not as a
    // subquery on its key: the planner then knows from the statistics how large
    // the segment is. A large one (a third of the contacts) is best served by
    // walking the order's index and probing each contact's membership; a small
    // one (a hundred members) by reading its members and sorting them. With the
    // id hidden behind a subquery the planner walked the index for every
    // segment: 5-8 s for 100 members at 1M contacts (issue 10, P4).
    let segment_id = match &f.segment {
        None => None,
        Some(key) => {
            use super::schema::segments;
            let id: Option<i64> = segments::table
                .filter(segments::page_id.eq(page_id))
                .filter(segments::key.eq(key))
                .select(segments::id)
                .first(conn)
                .optional()?;
            match id {
                Some(id) => Some(id),
                // No such segment on this page: nobody is a member.
                None => return Ok(Vec::new()),
            }
        }
    };
    let sql = format!(
        "{SELECT} WHERE c.page_id = $1 AND m.page_id = $1 AND c.erased_at IS NULL \
         AND ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM segment_memberships sm \
              WHERE sm.segment_id = $2 AND sm.contact_id = c.id)) \
         AND ($3::text IS NULL OR c.display_name ILIKE $3 ESCAPE '\\' OR c.email ILIKE $3 ESCAPE '\\') \
         AND ($4::boolean IS NULL OR (c.email IS NOT NULL) = $4) \
         AND ($5::double precision IS NULL OR m.sentiment_avg >= $5) \
         ORDER BY {order} LIMIT $6 OFFSET $7"
    );
    let pattern = f
        .search
        .as_deref()
        .map(|s| format!("%{}%", crate::domain::segment_rules::escape_like(s.trim())));
    diesel::sql_query(sql)
        .bind::<BigInt, _>(page_id)
        .bind::<Nullable<BigInt>, _>(segment_id)
        .bind::<Nullable<Text>, _>(pattern)
        .bind::<Nullable<Bool>, _>(f.has_email)
        .bind::<Nullable<Double>, _>(f.min_sentiment)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)
}

pub fn one(conn: &mut PgConnection, contact_id: i64) -> QueryResult<ContactRow> {
    diesel::sql_query(format!("{SELECT} WHERE c.id = $1"))
        .bind::<BigInt, _>(contact_id)
        .get_result(conn)
}

/// The contact's page, if the admin manages it (tenancy check).
pub fn page_for_admin(conn: &mut PgConnection, admin_id: i64, contact_id: i64) -> QueryResult<i64> {
    use super::schema::{contacts, page_admins};
    contacts::table
        .inner_join(page_admins::table.on(page_admins::page_id.eq(contacts::page_id)))
        .filter(contacts::id.eq(contact_id))
        .filter(page_admins::admin_id.eq(admin_id))
        .select(contacts::page_id)
        .first(conn)
}

/// Export rows after `after_id` (keyset pagination keeps memory flat).
pub fn export_chunk(
    conn: &mut PgConnection,
    page_id: i64,
    segment: Option<&str>,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<ContactRow>> {
    let sql = format!(
        "{SELECT} WHERE c.page_id = $1 AND c.erased_at IS NULL AND c.id > $2 \
         AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM segment_memberships sm JOIN segments s ON s.id = sm.segment_id \
              WHERE sm.contact_id = c.id AND s.key = $3 AND s.page_id = c.page_id)) \
         ORDER BY c.id LIMIT $4"
    );
    diesel::sql_query(sql)
        .bind::<BigInt, _>(page_id)
        .bind::<BigInt, _>(after_id)
        .bind::<Nullable<Text>, _>(segment.map(str::to_string))
        .bind::<BigInt, _>(limit)
        .load(conn)
}

pub fn count_for_export(
    conn: &mut PgConnection,
    page_id: i64,
    segment: Option<&str>,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let Some(segment) = segment else {
        return diesel::sql_query(
            "SELECT count(*) AS n FROM contacts c WHERE c.page_id = $1 AND c.erased_at IS NULL",
        )
        .bind::<BigInt, _>(page_id)
        .get_result::<N>(conn)
        .map(|n| n.n);
    };
    // A segment's members are contacts of its page (segments::evaluate), counted
    // by the member_count rollup; counting them took 1-2 s at a million contacts
    // (issue 10, P4). Erasure blanks a contact but keeps its memberships until
    // the next refresh, so the page's erased contacts that are still members are
    // subtracted (found through contacts_page_erased_idx, each a primary-key
    // probe). No such segment: 0, as the count of an empty filter was.
    diesel::sql_query(
        "SELECT COALESCE((SELECT s.member_count - ( \
             SELECT count(*) FROM contacts c JOIN segment_memberships sm \
               ON sm.segment_id = s.id AND sm.contact_id = c.id \
             WHERE c.page_id = $1 AND c.erased_at IS NOT NULL) \
           FROM segments s WHERE s.page_id = $1 AND s.key = $2), 0)::bigint AS n",
    )
    .bind::<BigInt, _>(page_id)
    .bind::<Text, _>(segment)
    .get_result::<N>(conn)
    .map(|n| n.n)
}
