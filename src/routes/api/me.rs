//! `GET /api/v1/me`: the signed-in admin, their pages, and a CSRF token for scripts.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::{admins, pages};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/me", me);
}

async fn me(auth: AdminAuth, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let id = auth.admin_id;
    let (admin, pages) = state
        .db
        .run(move |c| Ok((admins::find(c, id)?, pages::for_admin(c, id)?)))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "admin": admin,
        "pages": pages,
        "csrf_token": crate::routes::csrf::token_for_admin(&state, &auth),
    })))
}
