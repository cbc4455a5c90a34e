//! Pages the admin manages, with their token and webhook-subscription health.
//! `GET /api/v1/pages`, `GET /api/v1/pages/{id}`, `POST /api/v1/pages/{id}/subscription`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::pages;
use crate::domain::install;
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/pages", list)
        .get("/pages/{id}", show)
        .post("/pages/{id}/subscription", resubscribe);
}

async fn list(auth: AdminAuth, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let id = auth.admin_id;
    let pages = state.db.run(move |c| Ok(pages::for_admin(c, id)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "data": pages })))
}

async fn show(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, page_id) = (auth.admin_id, path.into_inner());
    let page = state
        .db
        .run(move |c| Ok(pages::find_for_admin(c, admin, page_id)?))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Subscribes the page to webhooks again now (the daily reconcile does it too).
async fn resubscribe(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, page_id) = (auth.admin_id, path.into_inner());
    let page = state
        .db
        .run(move |c| Ok(pages::find_for_admin(c, admin, page_id)?))
        .await?;
    let token = install::page_token(&state, &page).ok_or_else(|| {
        AppError::conflict(
            "needs_reauth",
            "this page has no usable token; sign in with Facebook again",
        )
    })?;
    let ok = install::subscribe(&state, page.id, &page.fb_page_id, &token).await?;
    let page = state
        .db
        .run(move |c| Ok(pages::find_for_admin(c, admin, page_id)?))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"subscribed": ok, "page": page})))
}
