//! Judging: the admin sets criteria per contest; judges (the page's admins)
//! score approved entries from 1 to 10 on each criterion, until winners are
//! picked. An entry's judge score is the average of all its scores (every judge,
//! every criterion, equally weighted); see `domain::leaderboard` for the ranking.

use diesel::pg::PgConnection;
use serde::Deserialize;
use serde_json::json;

use crate::db::audit::{self, Audit};

use crate::db::contests::Contest;
use crate::db::entries::Entry;
use crate::db::judging;
use crate::error::AppError;

/// Most criteria per contest.
pub const MAX_CRITERIA: usize = 12;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    pub criterion_id: i64,
    pub score: i64,
}

/// Checks that scoring is possible now and every score is in range; returns
/// the scores as stored.
pub fn check_scores(
    conn: &mut PgConnection,
    contest: &Contest,
    entry: &Entry,
    scores: &[ScoreInput],
) -> Result<Vec<(i64, i16)>, AppError> {
    if entry.status != "approved" {
        return Err(AppError::conflict(
            "entry_not_approved",
            "judges score approved entries only",
        ));
    }
    if crate::db::draws::find_draw(conn, contest.id)?.is_some() {
        return Err(AppError::conflict(
            "already_drawn",
            "winners were already picked; scores can no longer change",
        ));
    }
    if scores.is_empty() || scores.len() > MAX_CRITERIA {
        return Err(AppError::invalid(
            "invalid_scores",
            format!("send 1..={MAX_CRITERIA} scores"),
        ));
    }
    let criteria = judging::criteria(conn, contest.id)?;
    let mut out = Vec::new();
    for s in scores {
        if !criteria.iter().any(|c| c.id == s.criterion_id) {
            return Err(AppError::invalid(
                "unknown_criterion",
                format!(
                    "criterion {} is not one of this contest's criteria",
                    s.criterion_id
                ),
            )
            .with_details(serde_json::json!({"criterion_id": s.criterion_id})));
        }
        if !(1..=10).contains(&s.score) {
            return Err(AppError::invalid(
                "invalid_score",
                "a score is a whole number from 1 to 10",
            )
            .with_details(serde_json::json!({"criterion_id": s.criterion_id})));
        }
        out.push((s.criterion_id, s.score as i16));
    }
    Ok(out)
}

/// Adds a criterion to a contest of `admin_id` (until winners are picked), with
/// an audit row. The API and the dashboard both call this.
pub fn add_criterion(
    conn: &mut PgConnection,
    admin_id: i64,
    contest_id: i64,
    name: &str,
    description: &str,
) -> Result<judging::Criterion, AppError> {
    let contest = crate::db::contests::lock_for_admin(conn, admin_id, contest_id)?;
    if crate::db::draws::find_draw(conn, contest_id)?.is_some() {
        return Err(AppError::conflict(
            "already_drawn",
            "winners were already picked",
        ));
    }
    if judging::criteria(conn, contest_id)?.len() >= MAX_CRITERIA {
        return Err(AppError::invalid(
            "too_many_criteria",
            format!("a contest has at most {MAX_CRITERIA} criteria"),
        ));
    }
    let criterion =
        judging::add_criterion(conn, contest_id, name, description)?.ok_or_else(|| {
            AppError::conflict(
                "duplicate_criterion",
                "this contest already has a criterion of that name",
            )
        })?;
    audit::record(
        conn,
        Audit {
            page_id: Some(contest.page_id),
            admin_id: Some(admin_id),
            action: "judging.criterion_added",
            subject_type: "contest",
            subject_id: Some(contest_id),
            details: json!({"criterion_id": criterion.id, "name": criterion.name}),
        },
    )?;
    Ok(criterion)
}

/// Stores the scores `admin_id` gives an entry of their own pages (checked with
/// [`check_scores`]), with an audit row. Returns the entry.
pub fn score_entry(
    conn: &mut PgConnection,
    admin_id: i64,
    entry_id: i64,
    scores: &[ScoreInput],
) -> Result<Entry, AppError> {
    let entry = crate::db::entries::find_for_admin(conn, admin_id, entry_id)?;
    let contest = crate::db::contests::find(conn, entry.contest_id)?;
    let checked = check_scores(conn, &contest, &entry, scores)?;
    for (criterion, value) in &checked {
        judging::upsert_score(conn, contest.id, entry.id, *criterion, admin_id, *value)?;
    }
    audit::record(
        conn,
        Audit {
            page_id: Some(contest.page_id),
            admin_id: Some(admin_id),
            action: "judging.scored",
            subject_type: "entry",
            subject_id: Some(entry.id),
            details: json!({"scores": checked.iter().map(|(c, s)| json!({"criterion_id": c, "score": s})).collect::<Vec<_>>()}),
        },
    )?;
    Ok(entry)
}
