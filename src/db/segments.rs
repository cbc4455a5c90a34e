//! Segments: the three personas (per page) and admin-defined rule segments, their
//! memberships, and daily sizes.
//!
//! Membership is computed in SQL from `contacts` + `contact_metrics` with the rule
//! compiled by `domain::segment_rules` (values always bound, never interpolated).
//! A full recompute evaluates every segment of a page; the incremental refresh
//! evaluates only contacts whose metrics changed (queued in `contact_metrics_dirty`
//! by the writes that change them, migration `2026-12-05-000300`).

use chrono::NaiveDate;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{Array, BigInt, Bool, Double, Text};
use serde::Serialize;

use super::schema::{segment_memberships, segment_sizes_daily, segments};
use crate::config::SegmentSettings;
use crate::domain::personas;
use crate::domain::segment_rules::{Rule, SqlBind};

/// Column expressions over `contacts c` joined with `contact_metrics m`.
pub fn column(field: &str) -> &'static str {
    match field {
        "postal_code" => "c.postal_code",
        "country" => "c.country",
        "locale" => "c.locale",
        "email_domain" => "split_part(c.email, '@', 2)",
        "first_source" => "c.first_source",
        "segment" => {
            "(SELECT s.key FROM segment_memberships sm JOIN segments s ON s.id = sm.segment_id \
                      WHERE sm.contact_id = c.id AND s.kind = 'persona' LIMIT 1)"
        }
        "sentiment" => "m.sentiment_avg",
        "advocacy" => "m.advocacy",
        "reach" => "(COALESCE(c.friends_count, 0) + m.share_engagement + m.referral_clicks)",
        "points" => "m.points",
        "entries" => "m.entries",
        "votes_cast" => "m.votes_cast",
        "votes_received" => "m.votes_received",
        "referral_clicks" => "m.referral_clicks",
        "referral_conversions" => "m.referral_conversions",
        "shares" => "m.shares",
        "comments" => "m.comments",
        "reactions" => "m.reactions",
        "mentions" => "m.mentions",
        "page_views" => "m.page_views",
        "poll_actions" => "m.poll_actions",
        "age_min" => "c.age_min",
        "age_max" => "c.age_max",
        "marketing_opt_in" => "m.marketing_opt_in",
        "has_email" => "(c.email IS NOT NULL)",
        // The rule parser only admits catalogued fields; this arm cannot match.
        _ => "NULL",
    }
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = segments)]
pub struct Segment {
    pub id: i64,
    pub page_id: i64,
    pub kind: String,
    pub key: String,
    pub name: String,
    pub description: String,
    pub rule: serde_json::Value,
}

/// Creates the persona segments of a page, or refreshes their rules from config.
pub fn ensure_personas(
    conn: &mut PgConnection,
    page_id: i64,
    s: &SegmentSettings,
) -> QueryResult<()> {
    for p in personas::personas(s) {
        diesel::insert_into(segments::table)
            .values((
                segments::page_id.eq(page_id),
                segments::kind.eq("persona"),
                segments::key.eq(p.key),
                segments::name.eq(p.name),
                segments::description.eq(p.description),
                segments::rule.eq(&p.rule),
            ))
            .on_conflict((segments::page_id, segments::key))
            .do_update()
            .set((
                segments::rule.eq(&p.rule),
                segments::description.eq(p.description),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn of_page(conn: &mut PgConnection, page_id: i64) -> QueryResult<Vec<Segment>> {
    segments::table
        .filter(segments::page_id.eq(page_id))
        // Personas first: custom rules may refer to them (`segment` field).
        .order((segments::kind.desc(), segments::id))
        .select(Segment::as_select())
        .load(conn)
}

pub fn create_custom(
    conn: &mut PgConnection,
    page_id: i64,
    key: &str,
    name: &str,
    rule: &serde_json::Value,
) -> QueryResult<Segment> {
    diesel::insert_into(segments::table)
        .values((
            segments::page_id.eq(page_id),
            segments::kind.eq("custom"),
            segments::key.eq(key),
            segments::name.eq(name),
            segments::rule.eq(rule),
        ))
        .returning(Segment::as_returning())
        .get_result(conn)
}

/// New name and rule of a custom segment (personas are left alone).
pub fn update_custom(
    conn: &mut PgConnection,
    id: i64,
    name: &str,
    rule: &serde_json::Value,
) -> QueryResult<Segment> {
    diesel::update(segments::table.find(id).filter(segments::kind.eq("custom")))
        .set((
            segments::name.eq(name),
            segments::rule.eq(rule),
            segments::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Segment::as_returning())
        .get_result(conn)
}

pub fn find_for_admin(conn: &mut PgConnection, admin_id: i64, id: i64) -> QueryResult<Segment> {
    use super::schema::page_admins;
    segments::table
        .filter(segments::id.eq(id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(segments::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select(Segment::as_select())
        .first(conn)
}

pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(segments::table.find(id).filter(segments::kind.eq("custom"))).execute(conn)
}

fn with_binds<'a>(
    mut q: BoxedSqlQuery<'a, Pg, diesel::query_builder::SqlQuery>,
    binds: &[SqlBind],
) -> BoxedSqlQuery<'a, Pg, diesel::query_builder::SqlQuery> {
    for b in binds {
        q = match b {
            SqlBind::Text(s) => q.bind::<Text, _>(s.clone()),
            SqlBind::Number(n) => q.bind::<Double, _>(*n),
            SqlBind::Bool(v) => q.bind::<Bool, _>(*v),
            SqlBind::TextList(l) => q.bind::<Array<Text>, _>(l.clone()),
        };
    }
    q
}

/// Re-evaluates one segment, for every contact of its page (`only = None`) or for
/// the given contacts. Members who still match keep their `since`.
///
/// One statement: the matching contacts are computed once (`target`), members
/// no longer matching are deleted and new ones inserted against that set with
/// hash anti-joins, instead of a correlated re-check per member and a second
/// scan with a conflict probe per matching contact (issue 10, P4: full recompute
/// at 1M contacts).
fn evaluate(conn: &mut PgConnection, seg: &Segment, only: Option<&[i64]>) -> QueryResult<()> {
    let rule = Rule::parse(&seg.rule).map_err(|e| {
        diesel::result::Error::QueryBuilderError(
            format!("segment {} has an invalid rule: {e}", seg.id).into(),
        )
    })?;
    let first = if only.is_some() { 4 } else { 3 };
    let frag = rule.to_sql_from(&column, first);
    let (scope_c, scope_sm) = if only.is_some() {
        ("AND c.id = ANY($3)", "AND sm.contact_id = ANY($3)")
    } else {
        ("", "")
    };
    let sql = format!(
        "WITH target AS MATERIALIZED ( \
           SELECT c.id FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id \
           WHERE c.page_id = $2 AND c.erased_at IS NULL {scope_c} AND {rule}), \
         gone AS ( \
           DELETE FROM segment_memberships sm WHERE sm.segment_id = $1 {scope_sm} \
             AND NOT EXISTS (SELECT 1 FROM target t WHERE t.id = sm.contact_id)) \
         INSERT INTO segment_memberships (segment_id, contact_id) \
         SELECT $1, t.id FROM target t WHERE NOT EXISTS ( \
           SELECT 1 FROM segment_memberships sm WHERE sm.segment_id = $1 AND sm.contact_id = t.id) \
         ON CONFLICT DO NOTHING",
        rule = frag.sql
    );
    let mut q = diesel::sql_query(sql)
        .into_boxed()
        .bind::<BigInt, _>(seg.id)
        .bind::<BigInt, _>(seg.page_id);
    if let Some(ids) = only {
        q = q.bind::<Array<BigInt>, _>(ids.to_vec());
    }
    // A full evaluation must use hash anti-joins. On a memberships table that was
    // empty when last analysed, the planner picked a nested-loop anti-join that
    // rescans the table while this same statement fills it: the first recompute at
    // 1M contacts ran for over 10 minutes before it was cancelled, and took 40 s
    // with nested loops off (BENCHMARKS.md, P4). Local to this statement.
    if only.is_none() {
        diesel::sql_query("SELECT set_config('enable_nestloop', 'off', true)").execute(conn)?;
    }
    with_binds(q, &frag.binds).execute(conn)?;
    if only.is_none() {
        diesel::sql_query("SELECT set_config('enable_nestloop', 'on', true)").execute(conn)?;
    }
    Ok(())
}

/// The conflict clause of every insert into the refresh queue
/// (`contact_metrics_dirty`, migration `2026-12-05-000300`): a contact already
/// queued is locked, not skipped, so a refresh running now passes over it
/// (`SKIP LOCKED`) instead of dequeuing it before the change commits.
pub const QUEUE_FOR_REFRESH: &str =
    "ON CONFLICT (contact_id) DO UPDATE SET page_id = EXCLUDED.page_id WHERE false";

/// Most custom segments one page may have: each is evaluated on every contact
/// change (`refresh_dirty`), so their number bounds the work of every event batch.
pub const MAX_CUSTOM_PER_PAGE: i64 = 100;

pub fn custom_count(conn: &mut PgConnection, page_id: i64) -> QueryResult<i64> {
    segments::table
        .filter(segments::page_id.eq(page_id))
        .filter(segments::kind.eq("custom"))
        .count()
        .get_result(conn)
}

/// Fills a new segment's memberships and records today's sizes. The page's other
/// segments are not re-evaluated: nothing about their members changed.
pub fn populate(conn: &mut PgConnection, seg: &Segment) -> QueryResult<()> {
    evaluate(conn, seg, None)?;
    record_sizes(conn, seg.page_id)?;
    Ok(())
}

/// Full recompute of every segment of a page. Returns (key, size).
pub fn recompute(
    conn: &mut PgConnection,
    page_id: i64,
    s: &SegmentSettings,
) -> QueryResult<Vec<(String, i64)>> {
    // The hash joins over every contact of a page spill to disk with the default
    // 4 MB at a million contacts (a third of the recompute time, issue 10 P4).
    // Local to the caller's transaction.
    diesel::sql_query("SELECT set_config('work_mem', '64MB', true)").execute(conn)?;
    // Same lock order as `refresh_dirty` (queued contacts, then segment rows),
    // so a recompute and a concurrent incremental refresh cannot deadlock: the
    // refresh skips these rows, or this waits for the refresh to commit. It also
    // waits for event batches that hold a queued contact of this page.
    #[derive(QueryableByName)]
    struct Queued {
        #[diesel(sql_type = BigInt)]
        contact_id: i64,
    }
    let queued: Vec<i64> = diesel::sql_query(
        "SELECT contact_id FROM contact_metrics_dirty WHERE page_id = $1 ORDER BY contact_id FOR UPDATE",
    )
    .bind::<BigInt, _>(page_id)
    .load::<Queued>(conn)?
    .into_iter()
    .map(|q| q.contact_id)
    .collect();
    ensure_personas(conn, page_id, s)?;
    for seg in of_page(conn, page_id)? {
        evaluate(conn, &seg, None)?;
    }
    // Only those locked above: a contact queued since may have changed after
    // the evaluation read it, and stays queued for the next refresh.
    diesel::sql_query("DELETE FROM contact_metrics_dirty WHERE contact_id = ANY($1)")
        .bind::<Array<BigInt>, _>(queued)
        .execute(conn)?;
    record_sizes(conn, page_id)
}

/// Incremental: re-evaluates contacts whose metrics changed. Returns how many.
pub fn refresh_dirty(
    conn: &mut PgConnection,
    s: &SegmentSettings,
    limit: i64,
) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct Dirty {
        #[diesel(sql_type = BigInt)]
        contact_id: i64,
        #[diesel(sql_type = BigInt)]
        page_id: i64,
    }
    // Dequeued in the same transaction as the evaluation: if it fails, they
    // are queued again. SKIP LOCKED passes over contacts whose change (an event
    // batch holding their queue row) has not committed yet; they stay queued.
    let dirty: Vec<Dirty> = diesel::sql_query(
        "DELETE FROM contact_metrics_dirty WHERE contact_id IN ( \
           SELECT contact_id FROM contact_metrics_dirty ORDER BY contact_id LIMIT $1 \
           FOR UPDATE SKIP LOCKED) \
         RETURNING contact_id, page_id",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    let mut by_page: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
    for d in &dirty {
        by_page.entry(d.page_id).or_default().push(d.contact_id);
    }
    for (page, ids) in &mut by_page {
        // Membership rows are written in contact order, as before.
        ids.sort_unstable();
        ensure_personas(conn, *page, s)?;
        for seg in of_page(conn, *page)? {
            evaluate(conn, &seg, Some(ids))?;
        }
        record_sizes(conn, *page)?;
    }
    Ok(dirty.len())
}

/// Today's sizes (UTC day), kept for movement over time. Returns (key, size).
pub fn record_sizes(conn: &mut PgConnection, page_id: i64) -> QueryResult<Vec<(String, i64)>> {
    diesel::sql_query(
        "INSERT INTO segment_sizes_daily (segment_id, day, size) \
         SELECT s.id, (now() AT TIME ZONE 'UTC')::date, \
                s.member_count \
         FROM segments s WHERE s.page_id = $1 \
         ON CONFLICT (segment_id, day) DO UPDATE SET size = EXCLUDED.size",
    )
    .bind::<BigInt, _>(page_id)
    .execute(conn)?;
    Ok(sizes(conn, page_id)?
        .into_iter()
        .map(|v| (v.segment.key, v.size))
        .collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentView {
    #[serde(flatten)]
    pub segment: Segment,
    pub size: i64,
    /// Daily sizes, oldest first (for movement charts).
    pub history: Vec<(NaiveDate, i32)>,
    /// Size change over the last 7 days.
    pub movement_7d: i64,
}

pub fn sizes(conn: &mut PgConnection, page_id: i64) -> QueryResult<Vec<SegmentView>> {
    // Sizes from the rollup kept by triggers on segment_memberships (migration
    // 2026-12-05-000034): exact, without counting the members.
    let segs: Vec<(Segment, i64)> = segments::table
        .filter(segments::page_id.eq(page_id))
        .order((segments::kind.desc(), segments::id))
        .select((Segment::as_select(), segments::member_count))
        .load(conn)?;
    let mut out = Vec::new();
    for (seg, size) in segs {
        let history: Vec<(NaiveDate, i32)> = segment_sizes_daily::table
            .filter(segment_sizes_daily::segment_id.eq(seg.id))
            .order(segment_sizes_daily::day.desc())
            .limit(90)
            .select((segment_sizes_daily::day, segment_sizes_daily::size))
            .load::<(NaiveDate, i32)>(conn)?
            .into_iter()
            .rev()
            .collect();
        let week_ago = chrono::Utc::now().date_naive() - chrono::Duration::days(7);
        let before = history
            .iter()
            .rev()
            .find(|(d, _)| *d <= week_ago)
            .map(|(_, s)| i64::from(*s))
            .unwrap_or(0);
        out.push(SegmentView {
            movement_7d: size - before,
            segment: seg,
            size,
            history,
        });
    }
    Ok(out)
}

/// The segments a contact belongs to (keys).
pub fn of_contact(conn: &mut PgConnection, contact_id: i64) -> QueryResult<Vec<String>> {
    segment_memberships::table
        .inner_join(segments::table)
        .filter(segment_memberships::contact_id.eq(contact_id))
        .order(segments::kind.desc())
        .select(segments::key)
        .load(conn)
}
