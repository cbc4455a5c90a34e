//! Contests in the admin API:
//! `GET/POST /api/v1/contests`, `GET/PATCH /api/v1/contests/{id}`,
//! `POST /api/v1/contests/{id}/transition`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::contests::{self, Contest};
use crate::domain::contest::{Kind, Status};
use crate::domain::contest_admin::ContestInput;
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests", list)
        .post("/contests", create)
        .get("/contests/{id}", show)
        .patch("/contests/{id}", update)
        .post("/contests/{id}/transition", transition)
        .post("/contests/{id}/backfill", backfill);
}

async fn list(
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
    Ok(HttpResponse::Ok().json(json!({ "data": data })))
}

#[derive(Deserialize)]
struct ListQuery {
    page_id: Option<i64>,
}

/// The API shape: the row plus the status with the clock applied and public URLs.
pub fn view(c: &Contest, now: DateTime<Utc>) -> serde_json::Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["effective_status"] = json!(c.effective_status(now).as_str());
    v["fan_page_path"] = json!(format!("/c/{}", c.slug));
    v
}

async fn create(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    body: web::Json<ContestInput>,
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

async fn show(
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

async fn update(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<ContestInput>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionInput {
    to: String,
}

async fn transition(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<TransitionInput>,
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

/// Queues a comment backfill for a comment-to-enter contest (also done on opening).
async fn backfill(
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
    Ok(HttpResponse::Accepted().json(json!({"queued": queued})))
}
