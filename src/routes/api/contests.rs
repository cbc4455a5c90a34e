//! Contests in the admin API:
//! `GET/POST /api/v1/contests`, `GET/PATCH /api/v1/contests/{id}`,
//! `POST /api/v1/contests/{id}/transition`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::admin::AdminAuth;
use crate::db::contests::{self, Contest};
use crate::domain::contest::{Kind, Status};
use crate::domain::contest_admin::ContestInput;
use crate::error::AppError;
use crate::routes::api::contest_bodies::{ContestChanges, NewContest};
use crate::routes::api::docs::List;
use crate::routes::api::input::ApiJson;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests", list)
        .post("/contests", create)
        .get("/contests/{id}", show)
        .patch("/contests/{id}", update)
        .post("/contests/{id}/transition", transition)
        .post("/contests/{id}/backfill", backfill);
}

#[utoipa::path(
    get,
    path = "/api/v1/contests",
    operation_id = "contests_list",
    tag = "contests",
    params(ListQuery),
    responses(
        (status = 200, description = "The admin's contests", body = List<ContestView>),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
    auth: AdminAuth,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (admin, page) = (auth.admin_id, q.page_id);
    let now = Utc::now();
    let list = state
        .db
        .run(move |c| Ok(contests::list_for_admin(c, admin, page)?))
        .await?;
    let data: Vec<_> = list.iter().map(|c| view(c, now)).collect();
    Ok(HttpResponse::Ok().json(List { data }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this page's contests.
    page_id: Option<i64>,
}

/// The API shape: the row plus the status with the clock applied and public URLs.
#[derive(Serialize, ToSchema)]
pub struct ContestView {
    #[serde(flatten)]
    pub contest: Contest,
    /// `status` with the clock applied (a scheduled contest past `opens_at` is open).
    pub effective_status: String,
    /// The fan page, `/c/<slug>`.
    pub fan_page_path: String,
}

pub fn view(c: &Contest, now: DateTime<Utc>) -> ContestView {
    ContestView {
        contest: c.clone(),
        effective_status: c.effective_status(now).as_str().to_string(),
        fan_page_path: format!("/c/{}", c.slug),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/contests",
    operation_id = "contests_create",
    tag = "contests",
    request_body = NewContest,
    responses(
        (status = 201, description = "Created, as a draft", body = ContestView),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such page among the admin's pages", body = ErrorResponse),
        (status = 409, description = "`opens_at` is not before `closes_at` (invalid_schedule)", body = ErrorResponse),
        (status = 422, description = "A field breaks a rule (the code says which)", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn create(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    body: ApiJson<ContestInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let input = body.into_inner();
    let admin = auth.admin_id;
    let contest = state
        .db
        .transaction(move |c| crate::domain::contest_admin::create(c, admin, &input))
        .await?;
    Ok(HttpResponse::Created().json(view(&contest, Utc::now())))
}

#[utoipa::path(
    get,
    path = "/api/v1/contests/{id}",
    operation_id = "contests_show",
    tag = "contests",
    params(("id" = i64, Path, description = "The contest id")),
    responses(
        (status = 200, description = "The contest", body = ContestView),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn show(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let contest = state
        .db
        .run(move |c| Ok(contests::find_for_admin(c, admin, id)?))
        .await?;
    Ok(HttpResponse::Ok().json(view(&contest, Utc::now())))
}

#[utoipa::path(
    patch,
    path = "/api/v1/contests/{id}",
    operation_id = "contests_update",
    tag = "contests",
    params(("id" = i64, Path, description = "The contest id")),
    request_body = ContestChanges,
    responses(
        (status = 200, description = "Updated; absent fields are left alone, null clears a nullable one", body = ContestView),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 409, description = "The change is not allowed in the contest's current status, or the schedule would open at or after it closes (invalid_schedule)", body = ErrorResponse),
        (status = 422, description = "A field breaks a rule (the code says which)", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn update(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<ContestInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let input = body.into_inner();
    let contest = state
        .db
        .transaction(move |c| crate::domain::contest_admin::update(c, admin, id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(view(&contest, Utc::now())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// The target status: `draft`, `scheduled`, `open`, `closed`, ...
    #[schema(
        pattern = "^(draft|prize_poll|scheduled|open|closed|winners_announced)$",
        example = "open"
    )]
    to: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/contests/{id}/transition",
    operation_id = "contests_transition",
    tag = "contests",
    params(("id" = i64, Path, description = "The contest id")),
    request_body = TransitionInput,
    responses(
        (status = 200, description = "Moved to the new status", body = ContestView),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 409, description = "The transition is not allowed from the current status, or the contest is not ready for it (rules_required, closes_in_past, post_required)", body = ErrorResponse),
        (status = 422, description = "Unknown status", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn transition(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<TransitionInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let to = Status::parse(&body.to).ok_or_else(|| {
        AppError::invalid("invalid_status", format!("unknown status `{}`", body.to))
    })?;
    let keys = state.keys.clone();
    let contest = state
        .db
        .transaction(move |c| {
            crate::domain::lifecycle::transition(c, id, Some(admin), to, Utc::now(), &keys.tokens)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&contest, Utc::now())))
}

#[derive(Serialize, ToSchema)]
pub struct BackfillQueued {
    /// Whether a new backfill job was queued (false: one is already waiting).
    pub queued: bool,
}

/// Queues a comment backfill for a comment-to-enter contest (also done on opening).
#[utoipa::path(
    post,
    path = "/api/v1/contests/{id}/backfill",
    operation_id = "contests_backfill",
    tag = "contests",
    params(("id" = i64, Path, description = "The contest id")),
    responses(
        (status = 202, description = "A backfill of the linked post's comments is queued", body = BackfillQueued),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 409, description = "Not a comment-to-enter contest with a linked post", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn backfill(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let max = state.settings.worker.max_attempts;
    let queued = state
        .db
        .transaction(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            if contest.kind() != Kind::CommentToEnter || contest.linked_post_id.is_none() {
                return Err(AppError::conflict(
                    "not_comment_to_enter",
                    "only a comment-to-enter contest with a linked post can be backfilled",
                ));
            }
            Ok(crate::domain::lifecycle::queue_backfill(c, id, max)?)
        })
        .await?;
    state.wakeup.wake_all();
    Ok(HttpResponse::Accepted().json(BackfillQueued { queued }))
}
