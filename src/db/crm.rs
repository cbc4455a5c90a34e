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

const SELECT: &str = "SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max, \
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in, \
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast, \
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks, \
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares, \
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions, \
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views, \
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy, \
  (COALESCE(c.friends_count, 0) + COALESCE(m.share_engagement, 0) + COALESCE(m.referral_clicks, 0))::bigint AS reach, \
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm \
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments \
  FROM contacts c LEFT JOIN contact_metrics m ON m.contact_id = c.id";

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
    let order = match f.sort {
        ContactSort::Recent => "c.last_seen_at DESC, c.id DESC",
        ContactSort::Advocacy => "advocacy DESC, c.id",
        ContactSort::Reach => "reach DESC, c.id",
    };
    let sql = format!(
        "{SELECT} WHERE c.page_id = $1 AND c.erased_at IS NULL \
         AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM segment_memberships sm JOIN segments s ON s.id = sm.segment_id \
              WHERE sm.contact_id = c.id AND s.key = $2 AND s.page_id = c.page_id)) \
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
        .bind::<Nullable<Text>, _>(f.segment.clone())
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
    diesel::sql_query(
        "SELECT count(*) AS n FROM contacts c WHERE c.page_id = $1 AND c.erased_at IS NULL \
         AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM segment_memberships sm JOIN segments s ON s.id = sm.segment_id \
              WHERE sm.contact_id = c.id AND s.key = $2 AND s.page_id = c.page_id))",
    )
    .bind::<BigInt, _>(page_id)
    .bind::<Nullable<Text>, _>(segment.map(str::to_string))
    .get_result::<N>(conn)
    .map(|n| n.n)
}
