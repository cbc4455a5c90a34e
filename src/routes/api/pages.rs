//! Pages the admin manages, with their token and webhook-subscription health.
//! `GET /api/v1/pages`, `GET /api/v1/pages/{id}`, `POST /api/v1/pages/{id}/subscription`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::admin::AdminAuth;
use crate::db::pages::{self, Page};
use crate::domain::install;
use crate::error::AppError;
use crate::routes::api::docs::List;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/pages", list)
        .get("/pages/{id}", show)
        .post("/pages/{id}/subscription", resubscribe);
}

#[utoipa::path(
    get,
    path = "/api/v1/pages",
    operation_id = "pages_list",
    tag = "pages",
    responses(
        (status = 200, description = "Pages the admin manages, with token and subscription health", body = List<Page>),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(auth: AdminAuth, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let id = auth.admin_id;
    let pages = state.db.run(move |c| Ok(pages::for_admin(c, id)?)).await?;
    Ok(HttpResponse::Ok().json(List { data: pages }))
}

#[utoipa::path(
    get,
    path = "/api/v1/pages/{id}",
    operation_id = "pages_show",
    tag = "pages",
    params(("id" = i64, Path, description = "The page's Fanfare id")),
    responses(
        (status = 200, description = "The page", body = Page),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such page among the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn show(
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

#[derive(Serialize, ToSchema)]
pub struct Resubscribed {
    /// Whether Facebook accepted the subscription.
    pub subscribed: bool,
    pub page: Page,
}

/// Subscribes the page to webhooks again now (the daily reconcile does it too).
#[utoipa::path(
    post,
    path = "/api/v1/pages/{id}/subscription",
    operation_id = "pages_resubscribe",
    tag = "pages",
    params(("id" = i64, Path, description = "The page's Fanfare id")),
    responses(
        (status = 200, description = "Subscribed again (or not: see `subscribed` and the page's subscription_error)", body = Resubscribed),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such page among the admin's pages", body = ErrorResponse),
        (status = 409, description = "The page has no usable token (`needs_reauth`)", body = ErrorResponse),
        (status = 502, description = "Facebook did not answer as expected", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn resubscribe(
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
    Ok(HttpResponse::Ok().json(Resubscribed {
        subscribed: ok,
        page,
    }))
}
