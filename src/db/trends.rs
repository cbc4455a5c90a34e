//! Trend queries over the daily rollups (`daily_stats`), reach snapshots, segment
//! sizes and recent texts. Each is one indexed query, so a dashboard stays fast on
//! millions of activities.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, Nullable, Text};

#[derive(QueryableByName, Debug)]
pub struct DayKind {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = Double)]
    pub sentiment_sum: f64,
    #[diesel(sql_type = BigInt)]
    pub sentiment_count: i64,
}

/// Daily counts by kind since `from` (UTC days), for a page or one contest.
pub fn daily(
    conn: &mut PgConnection,
    page_id: i64,
    contest_id: Option<i64>,
    from: NaiveDate,
) -> QueryResult<Vec<DayKind>> {
    diesel::sql_query(
        "SELECT day, kind, sum(n)::bigint AS n, sum(sentiment_sum) AS sentiment_sum, sum(sentiment_count)::bigint AS sentiment_count \
         FROM daily_stats WHERE page_id = $1 AND ($2::bigint IS NULL OR contest_id = $2) AND day >= $3 \
         GROUP BY day, kind ORDER BY day",
    )
    .bind::<BigInt, _>(page_id)
    .bind::<Nullable<BigInt>, _>(contest_id)
    .bind::<Date, _>(from)
    .load(conn)
}

#[derive(QueryableByName, Debug)]
pub struct DayValue {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub value: i64,
}

/// Measured engagement per day (latest snapshot per object per day).
pub fn daily_reach(
    conn: &mut PgConnection,
    page_id: i64,
    contest_id: Option<i64>,
    from: NaiveDate,
) -> QueryResult<Vec<DayValue>> {
    diesel::sql_query(
        "SELECT day, sum(COALESCE(impressions, reactions + comments + shares, 0))::bigint AS value FROM ( \
           SELECT DISTINCT ON (object_id, (taken_at AT TIME ZONE 'UTC')::date) \
                  (taken_at AT TIME ZONE 'UTC')::date AS day, reactions, comments, shares, impressions \
           FROM reach_snapshots WHERE page_id = $1 AND error IS NULL AND taken_at >= $3 \
             AND ($2::bigint IS NULL OR contest_id = $2) \
           ORDER BY object_id, (taken_at AT TIME ZONE 'UTC')::date, taken_at DESC) s \
         GROUP BY day ORDER BY day",
    )
    .bind::<BigInt, _>(page_id)
    .bind::<Nullable<BigInt>, _>(contest_id)
    .bind::<Date, _>(from)
    .load(conn)
}

#[derive(QueryableByName, Debug)]
pub struct Text2 {
    #[diesel(sql_type = Text)]
    pub text: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub locale: Option<String>,
}

/// Recent UGC and comment texts with the writer's locale (bounded).
///
/// The activities side takes its 10,000 newest texts first and looks the locale up
/// for those only: that inner query is then a walk of the partial index
/// `activities_page_texts_idx` (whose predicate is its filter). With the contacts
/// join inside the LIMIT, the planner, which cannot estimate how few activities
/// carry a message, preferred walking every activity of the page newest first
/// (7.2 s at 10M activities, none with a message; issue 10, P4).
pub fn recent_texts(
    conn: &mut PgConnection,
    page_id: i64,
    contest_id: Option<i64>,
    from: NaiveDate,
) -> QueryResult<Vec<Text2>> {
    diesel::sql_query(
        "(SELECT e.text AS text, c.locale FROM entries e JOIN contacts c ON c.id = e.contact_id \
           WHERE e.page_id = $1 AND ($2::bigint IS NULL OR e.contest_id = $2) AND e.text IS NOT NULL \
             AND e.created_at >= $3 AND e.status <> 'disqualified' ORDER BY e.id DESC LIMIT 10000) \
         UNION ALL \
         (SELECT t.text, (SELECT c.locale FROM contacts c WHERE c.id = t.contact_id) FROM ( \
            SELECT a.id, a.contact_id, a.details->>'message' AS text FROM activities a \
             WHERE a.page_id = $1 AND $2::bigint IS NULL AND a.kind IN ('comment', 'mention', 'rating', 'post') \
               AND a.details->>'message' IS NOT NULL AND a.occurred_at >= $3 ORDER BY a.id DESC LIMIT 10000) t \
          ORDER BY t.id DESC)",
    )
    .bind::<BigInt, _>(page_id)
    .bind::<Nullable<BigInt>, _>(contest_id)
    .bind::<Date, _>(from)
    .load(conn)
}
