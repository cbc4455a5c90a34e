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
use crate::db::{contests, draws, entries, judging};
use crate::domain::judging::{self as judging_rules, ScoreInput};
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
        .transaction(move |c| judging_rules::add_criterion(c, admin, id, &name, &description))
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
            let entry = judging_rules::score_entry(c, admin, id, &input.scores)?;
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
