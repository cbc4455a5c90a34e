//! Judging criteria per contest and judges' scores (1..=10 per entry, criterion
//! and judge; a judge's second score replaces the first). Judges are the admins
//! of the contest's page; tenancy is checked where entries and contests are
//! looked up for the admin.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{admins, judge_scores, judging_criteria};

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = judging_criteria)]
pub struct Criterion {
    pub id: i64,
    pub contest_id: i64,
    pub name: String,
    pub description: String,
    pub position: i32,
    pub created_at: DateTime<Utc>,
}

pub fn criteria(conn: &mut PgConnection, contest_id: i64) -> QueryResult<Vec<Criterion>> {
    judging_criteria::table
        .filter(judging_criteria::contest_id.eq(contest_id))
        .order((judging_criteria::position, judging_criteria::id))
        .select(Criterion::as_select())
        .load(conn)
}

/// Adds a criterion; `None` when the contest already has one of that name.
pub fn add_criterion(
    conn: &mut PgConnection,
    contest_id: i64,
    name: &str,
    description: &str,
) -> QueryResult<Option<Criterion>> {
    let position: i64 = judging_criteria::table
        .filter(judging_criteria::contest_id.eq(contest_id))
        .count()
        .get_result(conn)?;
    diesel::insert_into(judging_criteria::table)
        .values((
            judging_criteria::contest_id.eq(contest_id),
            judging_criteria::name.eq(name),
            judging_criteria::description.eq(description),
            judging_criteria::position.eq(position as i32),
        ))
        .on_conflict_do_nothing()
        .returning(Criterion::as_returning())
        .get_result(conn)
        .optional()
}

/// Sets (or replaces) one judge's score for an entry on a criterion.
pub fn upsert_score(
    conn: &mut PgConnection,
    contest_id: i64,
    entry_id: i64,
    criterion_id: i64,
    admin_id: i64,
    score: i16,
) -> QueryResult<()> {
    diesel::insert_into(judge_scores::table)
        .values((
            judge_scores::contest_id.eq(contest_id),
            judge_scores::entry_id.eq(entry_id),
            judge_scores::criterion_id.eq(criterion_id),
            judge_scores::admin_id.eq(admin_id),
            judge_scores::score.eq(score),
        ))
        .on_conflict((
            judge_scores::entry_id,
            judge_scores::criterion_id,
            judge_scores::admin_id,
        ))
        .do_update()
        .set((
            judge_scores::score.eq(score),
            judge_scores::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Queryable, Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScoreView {
    pub criterion_id: i64,
    pub admin_id: i64,
    pub judge: String,
    pub score: i16,
    pub updated_at: DateTime<Utc>,
}

pub fn scores_of_entry(conn: &mut PgConnection, entry_id: i64) -> QueryResult<Vec<ScoreView>> {
    judge_scores::table
        .inner_join(admins::table)
        .filter(judge_scores::entry_id.eq(entry_id))
        .order((judge_scores::criterion_id, judge_scores::admin_id))
        .select((
            judge_scores::criterion_id,
            judge_scores::admin_id,
            admins::name,
            judge_scores::score,
            judge_scores::updated_at,
        ))
        .load(conn)
}

/// The average judges' score of each of these entries that has scores
/// (every criterion and judge counted alike).
pub fn averages_of(conn: &mut PgConnection, entry_ids: &[i64]) -> QueryResult<Vec<(i64, f64)>> {
    let rows: Vec<(i64, Option<i64>, i64)> = judge_scores::table
        .filter(judge_scores::entry_id.eq_any(entry_ids))
        .group_by(judge_scores::entry_id)
        .select((
            judge_scores::entry_id,
            diesel::dsl::sum(judge_scores::score),
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, n)| *n > 0)
        .map(|(id, sum, n)| (id, sum.unwrap_or(0) as f64 / n as f64))
        .collect())
}
