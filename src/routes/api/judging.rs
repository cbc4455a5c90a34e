//! Judging in the admin API:
//! `GET/POST /api/v1/contests/{id}/criteria` (the contest's criteria; add one),
//! `PUT /api/v1/entries/{id}/scores` `{scores: [{criterion_id, score}]}` (the
//! signed-in admin's scores, 1..=10, for an approved entry),
//! `GET /api/v1/entries/{id}/scores` (every judge's scores and the average) and
//! `GET /api/v1/contests/{id}/judging` (entries ranked by their average).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::audit::{self, Audit};
use crate::db::{contests, draws, entries, judging};
use crate::domain::judging::{check_scores, ScoreInput, MAX_CRITERIA};
use crate::domain::leaderboard;
use crate::error::AppError;
use crate::routes::api::input::text;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests/{id}/criteria", list_criteria)
        .post("/contests/{id}/criteria", add_criterion)
        .get("/contests/{id}/judging", ranking)
        .get("/entries/{id}/scores", scores)
        .put("/entries/{id}/scores", score);
}

async fn list_criteria(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let list = state
        .db
        .run(move |c| {
            contests::find_for_admin(c, admin, id)?;
            Ok(judging::criteria(c, id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "data": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CriterionInput {
    name: String,
    #[serde(default)]
    description: String,
}

async fn add_criterion(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<CriterionInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let name = text("name", &body.name, 1, 80)?;
    let description = text("description", &body.description, 0, 500)?;
    let created = state
        .db
        .transaction(move |c| {
            let contest = contests::lock_for_admin(c, admin, id)?;
            if draws::find_draw(c, id)?.is_some() {
                return Err(AppError::conflict(
                    "already_drawn",
                    "winners were already picked",
                ));
            }
            if judging::criteria(c, id)?.len() >= MAX_CRITERIA {
                return Err(AppError::invalid(
                    "too_many_criteria",
                    format!("a contest has at most {MAX_CRITERIA} criteria"),
                ));
            }
            let criterion =
                judging::add_criterion(c, id, &name, &description)?.ok_or_else(|| {
                    AppError::conflict(
                        "duplicate_criterion",
                        "this contest already has a criterion of that name",
                    )
                })?;
            audit::record(
                c,
                Audit {
                    page_id: Some(contest.page_id),
                    admin_id: Some(admin),
                    action: "judging.criterion_added",
                    subject_type: "contest",
                    subject_id: Some(id),
                    details: json!({"criterion_id": criterion.id, "name": criterion.name}),
                },
            )?;
            Ok(criterion)
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoresInput {
    scores: Vec<ScoreInput>,
}

/// What the scores endpoints answer: every score, and the average.
fn entry_scores(
    conn: &mut diesel::PgConnection,
    entry_id: i64,
) -> Result<serde_json::Value, AppError> {
    let list = judging::scores_of_entry(conn, entry_id)?;
    let average = (!list.is_empty())
        .then(|| list.iter().map(|s| f64::from(s.score)).sum::<f64>() / list.len() as f64);
    Ok(json!({"entry_id": entry_id, "scores": list, "average": average}))
}

async fn score(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<ScoresInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let input = body.into_inner();
    let view = state
        .db
        .transaction(move |c| {
            let entry = entries::find_for_admin(c, admin, id)?;
            let contest = contests::find(c, entry.contest_id)?;
            let checked = check_scores(c, &contest, &entry, &input.scores)?;
            for (criterion, value) in &checked {
                judging::upsert_score(c, contest.id, entry.id, *criterion, admin, *value)?;
            }
            audit::record(
                c,
                Audit {
                    page_id: Some(contest.page_id),
                    admin_id: Some(admin),
                    action: "judging.scored",
                    subject_type: "entry",
                    subject_id: Some(entry.id),
                    details: json!({"scores": checked.iter().map(|(c, s)| json!({"criterion_id": c, "score": s})).collect::<Vec<_>>()}),
                },
            )?;
            entry_scores(c, entry.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn scores(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let view = state
        .db
        .run(move |c| {
            entries::find_for_admin(c, admin, id)?;
            entry_scores(c, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn ranking(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let ranked = state
        .db
        .run(move |c| {
            contests::find_for_admin(c, admin, id)?;
            Ok(leaderboard::by_judges(draws::scored_entries(c, id)?))
        })
        .await?;
    let data: Vec<_> = ranked
        .iter()
        .enumerate()
        .map(|(i, e)| json!({"rank": i + 1, "entry_id": e.entry_id, "author": e.author, "average": e.judge_average, "scores": e.judge_scores}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "data": data })))
}
