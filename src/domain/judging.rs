//! Judging: the admin sets criteria per contest; judges (the page's admins)
//! score approved entries from 1 to 10 on each criterion, until winners are
//! picked. An entry's judge score is the average of all its scores (every judge,
//! every criterion, equally weighted); see `domain::leaderboard` for the ranking.

use diesel::pg::PgConnection;
use serde::Deserialize;

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
