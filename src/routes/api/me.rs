//! `GET /api/v1/me`: the signed-in admin, their pages, and a CSRF token for scripts.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::admin::AdminAuth;
use crate::db::admins;
use crate::db::admins::Admin;
use crate::db::pages::{self as pages_db, Page};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/me", me);
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub admin: Admin,
    pub pages: Vec<Page>,
    /// Send as `X-CSRF-Token` with state-changing requests made with the session cookie.
    pub csrf_token: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "me_me",
    tag = "me",
    responses(
        (status = 200, description = "The signed-in admin and their pages", body = Me),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn me(auth: AdminAuth, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let id = auth.admin_id;
    let (admin, pages) = state
        .db
        .run(move |c| Ok((admins::find(c, id)?, pages_db::for_admin(c, id)?)))
        .await?;
    Ok(HttpResponse::Ok().json(Me {
        admin,
        pages,
        csrf_token: crate::routes::csrf::token_for_admin(&state, &auth),
    }))
}
