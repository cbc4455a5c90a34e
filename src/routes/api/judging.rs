//! Judging in the admin API:
//! `GET/POST /api/v1/contests/{id}/criteria` (the contest's criteria; add one),
//! `PUT /api/v1/entries/{id}/scores` `{scores: [{criterion_id, score}]}` (the
//! signed-in admin's scores, 1..=10, for an approved entry),
//! `GET /api/v1/entries/{id}/scores` (every judge's scores and the average) and
//! `GET /api/v1/contests/{id}/judging` (entries ranked by their average).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::admin::AdminAuth;
use crate::db::{contests, draws, entries, judging};
use crate::domain::judging::{self as judging_rules, ScoreInput};
use crate::domain::leaderboard;
use crate::error::AppError;
use crate::routes::api::docs::List;
use crate::routes::api::input::text;
use crate::routes::api::input::ApiJson;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests/{id}/criteria", list_criteria)
        .post("/contests/{id}/criteria", add_criterion)
        .get("/contests/{id}/judging", ranking)
        .get("/entries/{id}/scores", scores)
        .put("/entries/{id}/scores", score);
}

#[utoipa::path(
    get,
    path = "/api/v1/contests/{id}/criteria",
    operation_id = "judging_list_criteria",
    tag = "judging",
    params(("id" = i64, Path, description = "The contest id")),
    responses(
        (status = 200, description = "The contest's judging criteria", body = List<judging::Criterion>),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list_criteria(
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
    Ok(HttpResponse::Ok().json(List { data: list }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionInput {
    /// 1..=80 characters, unique in the contest.
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 80
    )]
    name: String,
    /// At most 500 characters.
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 500
    )]
    #[serde(default)]
    description: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/contests/{id}/criteria",
    operation_id = "judging_add_criterion",
    tag = "judging",
    params(("id" = i64, Path, description = "The contest id")),
    request_body = CriterionInput,
    responses(
        (status = 201, description = "The criterion, added", body = judging::Criterion),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 409, description = "Winners were already picked, or the name is taken", body = ErrorResponse),
        (status = 422, description = "Name or description out of bounds, or too many criteria", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn add_criterion(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<CriterionInput>,
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresInput {
    /// One score (1..=10) per criterion.
    scores: Vec<ScoreInput>,
}

/// What the scores endpoints answer: every score, and the average.
#[derive(Serialize, ToSchema)]
pub struct EntryScores {
    pub entry_id: i64,
    pub scores: Vec<judging::ScoreView>,
    /// Null before the first score.
    pub average: Option<f64>,
}

fn entry_scores(conn: &mut diesel::PgConnection, entry_id: i64) -> Result<EntryScores, AppError> {
    let list = judging::scores_of_entry(conn, entry_id)?;
    let average = (!list.is_empty())
        .then(|| list.iter().map(|s| f64::from(s.score)).sum::<f64>() / list.len() as f64);
    Ok(EntryScores {
        entry_id,
        scores: list,
        average,
    })
}

#[utoipa::path(
    put,
    path = "/api/v1/entries/{id}/scores",
    operation_id = "judging_score",
    tag = "judging",
    params(("id" = i64, Path, description = "The entry id")),
    request_body = ScoresInput,
    responses(
        (status = 200, description = "The signed-in admin's scores are stored; every judge's scores", body = EntryScores),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such entry on the admin's pages", body = ErrorResponse),
        (status = 409, description = "The entry cannot be scored now (not approved, or winners already picked)", body = ErrorResponse),
        (status = 422, description = "Unknown criterion, or a score outside 1..=10", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn score(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<ScoresInput>,
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

#[utoipa::path(
    get,
    path = "/api/v1/entries/{id}/scores",
    operation_id = "judging_scores",
    tag = "judging",
    params(("id" = i64, Path, description = "The entry id")),
    responses(
        (status = 200, description = "Every judge's scores and the average", body = EntryScores),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such entry on the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn scores(
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

/// An entry ranked by its judges' average.
#[derive(Serialize, ToSchema)]
pub struct JudgedEntry {
    pub rank: usize,
    pub entry_id: i64,
    pub author: Option<String>,
    pub average: Option<f64>,
    /// How many scores the average is made of.
    pub scores: i64,
}

#[utoipa::path(
    get,
    path = "/api/v1/contests/{id}/judging",
    operation_id = "judging_ranking",
    tag = "judging",
    params(("id" = i64, Path, description = "The contest id")),
    responses(
        (status = 200, description = "Entries ranked by their judges' average", body = List<JudgedEntry>),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn ranking(
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
        .map(|(i, e)| JudgedEntry {
            rank: i + 1,
            entry_id: e.entry_id,
            author: e.author.clone(),
            average: e.judge_average,
            scores: e.judge_scores,
        })
        .collect();
    Ok(HttpResponse::Ok().json(List { data }))
}
