//! Winner selection: sealed draw seeds, the one draw per contest, and its picks
//! (winners and alternates). Admin lookups join `page_admins` (tenancy). The
//! rules are in `domain::winners`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use serde::Serialize;

use super::schema::{contests, draw_picks, draw_seeds, draws, page_admins};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = draw_seeds)]
pub struct DrawSeed {
    pub contest_id: i64,
    /// Never serialised: the seed stays secret until the draw.
    pub seed_enc: Vec<u8>,
    pub commitment: String,
    pub committed_at: DateTime<Utc>,
    pub revealed_at: Option<DateTime<Utc>>,
}

/// Stores a sealed seed unless the contest already has one (the first
/// commitment is the one published; it never changes).
pub fn insert_seed(
    conn: &mut PgConnection,
    contest_id: i64,
    seed_enc: &[u8],
    commitment: &str,
) -> QueryResult<bool> {
    let n = diesel::insert_into(draw_seeds::table)
        .values((
            draw_seeds::contest_id.eq(contest_id),
            draw_seeds::seed_enc.eq(seed_enc),
            draw_seeds::commitment.eq(commitment),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(n == 1)
}

pub fn find_seed(conn: &mut PgConnection, contest_id: i64) -> QueryResult<Option<DrawSeed>> {
    draw_seeds::table
        .find(contest_id)
        .select(DrawSeed::as_select())
        .first(conn)
        .optional()
}

pub fn commitment(conn: &mut PgConnection, contest_id: i64) -> QueryResult<Option<String>> {
    draw_seeds::table
        .find(contest_id)
        .select(draw_seeds::commitment)
        .first(conn)
        .optional()
}

pub fn mark_revealed(conn: &mut PgConnection, contest_id: i64) -> QueryResult<()> {
    diesel::update(draw_seeds::table.find(contest_id))
        .set(draw_seeds::revealed_at.eq(Some(Utc::now())))
        .execute(conn)
        .map(|_| ())
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = draws)]
pub struct Draw {
    pub id: i64,
    pub contest_id: i64,
    pub method: String,
    pub winners_count: i32,
    pub alternates_count: i32,
    pub record: Option<serde_json::Value>,
    pub ranking: serde_json::Value,
    pub admin_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

pub struct NewDraw {
    pub contest_id: i64,
    pub method: &'static str,
    pub winners_count: i32,
    pub alternates_count: i32,
    pub record: Option<serde_json::Value>,
    pub ranking: serde_json::Value,
    pub admin_id: Option<i64>,
}

/// `None` when the contest already has its draw.
pub fn insert_draw(conn: &mut PgConnection, d: &NewDraw) -> QueryResult<Option<Draw>> {
    diesel::insert_into(draws::table)
        .values((
            draws::contest_id.eq(d.contest_id),
            draws::method.eq(d.method),
            draws::winners_count.eq(d.winners_count),
            draws::alternates_count.eq(d.alternates_count),
            draws::record.eq(&d.record),
            draws::ranking.eq(&d.ranking),
            draws::admin_id.eq(d.admin_id),
        ))
        .on_conflict_do_nothing()
        .returning(Draw::as_returning())
        .get_result(conn)
        .optional()
}

pub fn find_draw(conn: &mut PgConnection, contest_id: i64) -> QueryResult<Option<Draw>> {
    draws::table
        .filter(draws::contest_id.eq(contest_id))
        .select(Draw::as_select())
        .first(conn)
        .optional()
}

/// Locks the draw row: declines and promotions of one draw run one at a time.
pub fn lock_draw(conn: &mut PgConnection, draw_id: i64) -> QueryResult<Draw> {
    draws::table
        .find(draw_id)
        .for_update()
        .select(Draw::as_select())
        .first(conn)
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = draw_picks)]
pub struct Pick {
    pub id: i64,
    pub draw_id: i64,
    pub contest_id: i64,
    pub entry_id: i64,
    pub contact_id: i64,
    pub pick_order: i32,
    pub role: String,
    pub status: String,
    pub prize_slot: Option<i32>,
    pub status_reason: Option<String>,
    pub replaces_pick_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// Picks in pick order: `(entry_id, contact_id)`, the first `winners` of them
/// winning slots 1..=winners, the rest standing by.
pub fn insert_picks(
    conn: &mut PgConnection,
    draw_id: i64,
    contest_id: i64,
    picks: &[(i64, i64)],
    winners: usize,
) -> QueryResult<usize> {
    let rows: Vec<_> = picks
        .iter()
        .enumerate()
        .map(|(i, (entry, contact))| {
            let won = i < winners;
            (
                draw_picks::draw_id.eq(draw_id),
                draw_picks::contest_id.eq(contest_id),
                draw_picks::entry_id.eq(*entry),
                draw_picks::contact_id.eq(*contact),
                draw_picks::pick_order.eq(i as i32),
                draw_picks::role.eq(if won { "winner" } else { "alternate" }),
                draw_picks::status.eq(if won { "won" } else { "standby" }),
                draw_picks::prize_slot.eq(won.then_some(i as i32 + 1)),
            )
        })
        .collect();
    diesel::insert_into(draw_picks::table)
        .values(rows)
        .execute(conn)
}

pub fn picks(conn: &mut PgConnection, draw_id: i64) -> QueryResult<Vec<Pick>> {
    draw_picks::table
        .filter(draw_picks::draw_id.eq(draw_id))
        .order(draw_picks::pick_order)
        .select(Pick::as_select())
        .load(conn)
}

/// A pick of a contest the admin manages.
pub fn find_pick_for_admin(conn: &mut PgConnection, admin_id: i64, id: i64) -> QueryResult<Pick> {
    draw_picks::table
        .inner_join(contests::table)
        .filter(draw_picks::id.eq(id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(contests::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select(Pick::as_select())
        .first(conn)
}

pub fn set_pick(
    conn: &mut PgConnection,
    id: i64,
    status: &str,
    prize_slot: Option<i32>,
    reason: Option<&str>,
    replaces: Option<i64>,
) -> QueryResult<Pick> {
    diesel::update(draw_picks::table.find(id))
        .set((
            draw_picks::status.eq(status),
            draw_picks::prize_slot.eq(prize_slot),
            draw_picks::status_reason.eq(reason),
            draw_picks::replaces_pick_id.eq(replaces),
            draw_picks::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Pick::as_returning())
        .get_result(conn)
}

/// Current picks (won or standing by) of these entries.
pub fn live_picks_of_entries(conn: &mut PgConnection, entry_ids: &[i64]) -> QueryResult<Vec<Pick>> {
    draw_picks::table
        .filter(draw_picks::entry_id.eq_any(entry_ids))
        .filter(draw_picks::status.eq_any(["won", "standby"]))
        .order(draw_picks::pick_order)
        .select(Pick::as_select())
        .load(conn)
}

/// One eligible person: their first approved entry, how many approved entries
/// they have, and their points balance.
#[derive(QueryableByName, Debug, Clone, Serialize)]
pub struct Eligible {
    #[diesel(sql_type = BigInt)]
    pub contact_id: i64,
    #[diesel(sql_type = BigInt)]
    pub entry_id: i64,
    #[diesel(sql_type = BigInt)]
    pub entries: i64,
    #[diesel(sql_type = BigInt)]
    pub points: i64,
}

/// Approved entries only: pending, rejected and disqualified entries (and those
/// of erased people, which erasure disqualifies) never take part.
pub fn eligible(conn: &mut PgConnection, contest_id: i64) -> QueryResult<Vec<Eligible>> {
    diesel::sql_query(
        "SELECT e.contact_id, min(e.id) AS entry_id, count(*) AS entries, \
                COALESCE((SELECT b.points FROM point_balances b \
                          WHERE b.contest_id = e.contest_id AND b.contact_id = e.contact_id), 0) AS points \
         FROM entries e JOIN contacts c ON c.id = e.contact_id \
         WHERE e.contest_id = $1 AND e.status = 'approved' AND c.erased_at IS NULL \
         GROUP BY e.contest_id, e.contact_id ORDER BY min(e.id)",
    )
    .bind::<BigInt, _>(contest_id)
    .load(conn)
}

/// An approved entry with its (non-voided) votes and its judges' average.
#[derive(QueryableByName, Debug, Clone, Serialize)]
pub struct Scored {
    #[diesel(sql_type = BigInt)]
    pub entry_id: i64,
    #[diesel(sql_type = BigInt)]
    pub contact_id: i64,
    #[diesel(sql_type = BigInt)]
    pub votes: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub judge_average: Option<f64>,
    #[diesel(sql_type = BigInt)]
    pub judge_scores: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub author: Option<String>,
}

pub fn scored_entries(conn: &mut PgConnection, contest_id: i64) -> QueryResult<Vec<Scored>> {
    diesel::sql_query(
        "SELECT e.id AS entry_id, e.contact_id, \
                (SELECT count(*) FROM votes v WHERE v.entry_id = e.id AND v.voided_at IS NULL) AS votes, \
                (SELECT avg(s.score)::float8 FROM judge_scores s WHERE s.entry_id = e.id) AS judge_average, \
                (SELECT count(*) FROM judge_scores s WHERE s.entry_id = e.id) AS judge_scores, \
                c.display_name AS author \
         FROM entries e JOIN contacts c ON c.id = e.contact_id \
         WHERE e.contest_id = $1 AND e.status = 'approved' AND c.erased_at IS NULL \
         ORDER BY e.id",
    )
    .bind::<BigInt, _>(contest_id)
    .load(conn)
}

/// Picks with what the winners list shows next to them.
#[derive(QueryableByName, Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PickView {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub entry_id: i64,
    #[diesel(sql_type = BigInt)]
    pub contact_id: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub pick_order: i32,
    #[diesel(sql_type = Text)]
    pub role: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    pub prize_slot: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub status_reason: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub replaces_pick_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub author: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub entry_text: Option<String>,
    #[diesel(sql_type = Text)]
    pub entry_status: String,
}

pub fn pick_views(conn: &mut PgConnection, draw_id: i64) -> QueryResult<Vec<PickView>> {
    diesel::sql_query(
        "SELECT p.id, p.entry_id, p.contact_id, p.pick_order, p.role, p.status, p.prize_slot, \
                p.status_reason, p.replaces_pick_id, c.display_name AS author, e.text AS entry_text, \
                e.status AS entry_status \
         FROM draw_picks p JOIN entries e ON e.id = p.entry_id JOIN contacts c ON c.id = p.contact_id \
         WHERE p.draw_id = $1 ORDER BY p.pick_order",
    )
    .bind::<BigInt, _>(draw_id)
    .load(conn)
}
