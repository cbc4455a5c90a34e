//! `GET /api/v1/trends?page_id=…[&contest_id=…][&days=30]`: daily series,
//! sentiment over time, top terms and hashtags, segment movement and the funnel.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::admin::AdminAuth;
use crate::db::{contests, pages};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/trends", trends);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendsQuery {
    page_id: i64,
    /// Only this contest (on that page).
    contest_id: Option<i64>,
    /// 1..=365 (clamped), default 30.
    #[serde(default = "default_days")]
    #[param(default = 30)]
    days: i64,
}

fn default_days() -> i64 {
    30
}

#[utoipa::path(
    get,
    path = "/api/v1/trends",
    operation_id = "trends_trends",
    tag = "trends",
    params(TrendsQuery),
    responses(
        (status = 200, description = "Daily series, sentiment, top terms and hashtags, segment movement and the funnel", body = crate::domain::trends::Trends),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such page among the admin's pages, or no such contest on it", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn trends(
    auth: AdminAuth,
    state: web::Data<AppState>,
    q: web::Query<TrendsQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let admin = auth.admin_id;
    let t = state
        .db
        .run(move |c| {
            pages::find_for_admin(c, admin, q.page_id)?;
            if let Some(contest) = q.contest_id {
                let found = contests::find_for_admin(c, admin, contest)?;
                if found.page_id != q.page_id {
                    return Err(AppError::not_found("no such contest on this page"));
                }
            }
            Ok(crate::domain::trends::compute(
                c,
                q.page_id,
                q.contest_id,
                q.days,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(t))
}
