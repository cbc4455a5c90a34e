//! Platform callbacks signed with `signed_request`:
//! `POST /facebook/deauthorize`, `POST /facebook/data-deletion`, and the public
//! deletion status page `GET /facebook/data-deletion/{code}`.

use std::collections::HashMap;

use actix_web::http::header::{ACCEPT, CONTENT_TYPE};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{TimeZone, Utc};
use serde_json::json;

use crate::crypto::{random_token, sha256_hex};
use crate::db::deletion_requests as dr;
use crate::db::jobs::{self as queue, NewJob};
use crate::error::AppError;
use crate::jobs::handlers::data_deletion;
use crate::platform::facebook::signed_request::{self, SignedRequest};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/facebook/deauthorize", web::post().to(deauthorize))
        .route("/facebook/data-deletion", web::post().to(data_deletion))
        .route(
            "/facebook/data-deletion/{code}",
            web::get().to(deletion_status),
        );
}

/// Verifies and freshness-checks the `signed_request` form field.
pub fn verified_signed_request(
    state: &AppState,
    form: &HashMap<String, String>,
) -> Result<SignedRequest, AppError> {
    let raw = form
        .get("signed_request")
        .ok_or_else(|| AppError::bad_request("missing_field", "signed_request is required"))?;
    let fb = &state.settings.facebook;
    let sr = signed_request::parse(raw, fb.app_secret.expose().as_bytes())
        .map_err(|e| AppError::unauthorized("bad_signed_request", e.to_string()))?;
    sr.check_fresh(
        Utc::now().timestamp(),
        fb.signed_request_max_age_secs,
        fb.signed_request_max_skew_secs,
    )
    .map_err(|e| AppError::unauthorized("stale_signed_request", e.to_string()))?;
    Ok(sr)
}

/// Deauthorize callback: the user removed the app; their page tokens are revoked.
#[utoipa::path(
    post,
    path = "/facebook/deauthorize",
    tag = "facebook",
    request_body(content = super::openapi::SignedRequestForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens revoked", body = super::openapi::Deauthorized),
        (status = 401, description = "Bad or stale signed_request", body = super::openapi::ErrorResponse),
    )
)]
pub(crate) async fn deauthorize(
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let sr = verified_signed_request(&state, &form)?;
    let user_id = sr
        .user_id
        .clone()
        .ok_or_else(|| AppError::bad_request("missing_user", "signed_request has no user_id"))?;
    let profile_id = sr.profile_id.clone();
    let issued_at = sr.issued_at.and_then(|t| Utc.timestamp_opt(t, 0).single());
    let revoked = state
        .db
        .transaction(move |conn| {
            let revoked = crate::db::tokens::revoke_for_deauthorization(
                conn,
                &user_id,
                profile_id.as_deref(),
            )?;
            dr::record_deauthorization(
                conn,
                &user_id,
                profile_id.as_deref(),
                issued_at,
                revoked as i32,
            )?;
            Ok(revoked)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"status": "deauthorized", "tokens_revoked": revoked})))
}

/// Data deletion request: queues the deletion and answers with a status URL.
#[utoipa::path(
    post,
    path = "/facebook/data-deletion",
    tag = "facebook",
    request_body(content = super::openapi::SignedRequestForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Deletion queued", body = super::openapi::DeletionAccepted),
        (status = 401, description = "Bad or stale signed_request", body = super::openapi::ErrorResponse),
    )
)]
pub(crate) async fn data_deletion(
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let sr = verified_signed_request(&state, &form)?;
    let user_id = sr
        .app_scoped_user_id()
        .ok_or_else(|| AppError::bad_request("missing_user", "signed_request has no user_id"))?
        .to_string();
    let code = random_token(24);
    let max_attempts = state.settings.worker.max_attempts;
    let code2 = code.clone();
    state
        .db
        .transaction(move |conn| {
            let id = dr::create(conn, &code2, &sha256_hex(user_id.as_bytes()))?;
            let payload = serde_json::to_value(data_deletion::Payload {
                request_id: id,
                app_scoped_user_id: user_id,
            })?;
            queue::enqueue(
                conn,
                &NewJob::new(data_deletion::KIND, payload, max_attempts),
            )?;
            Ok(())
        })
        .await?;
    state.wakeup.wake_all();
    Ok(HttpResponse::Ok().json(json!({
        "url": format!("{}/facebook/data-deletion/{}", state.public_url, code),
        "confirmation_code": code,
    })))
}

#[derive(Template)]
#[template(path = "deletion_status.html")]
struct DeletionStatusPage<'a> {
    code: &'a str,
    status_label: &'a str,
    requested_at: String,
    completed_at: Option<String>,
    completed: bool,
    retention_note: &'a str,
}

/// Public status page of a deletion request: HTML, or JSON with `Accept: application/json`.
#[utoipa::path(
    get,
    path = "/facebook/data-deletion/{code}",
    tag = "facebook",
    params(("code" = String, Path, description = "The confirmation code")),
    responses(
        (status = 200, description = "The request's status",
            content(
                (super::openapi::DeletionStatus = "application/json"),
                (String = "text/html"),
            )),
        (status = 404, description = "Unknown code", body = super::openapi::ErrorResponse),
    )
)]
pub(crate) async fn deletion_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    if code.len() > 128 {
        return Err(AppError::not_found("unknown confirmation code"));
    }
    let lookup = code.clone();
    let request = state
        .db
        .run(move |conn| Ok(dr::find_by_code(conn, &lookup)?))
        .await
        .map_err(|e| {
            if e.status() == actix_web::http::StatusCode::NOT_FOUND {
                AppError::not_found("unknown confirmation code")
            } else {
                e
            }
        })?;
    let wants_json = req
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return Ok(HttpResponse::Ok().json(json!({
            "confirmation_code": request.confirmation_code,
            "status": request.status,
            "requested_at": request.requested_at,
            "completed_at": request.completed_at,
            "report": request.report,
            "retained": crate::domain::privacy::RETENTION_NOTE,
        })));
    }
    let page = DeletionStatusPage {
        code: &request.confirmation_code,
        status_label: match request.status.as_str() {
            "completed" => "Completed",
            "failed" => "Needs attention",
            _ => "In progress",
        },
        requested_at: request
            .requested_at
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        completed_at: request
            .completed_at
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        completed: request.status == "completed",
        retention_note: crate::domain::privacy::RETENTION_NOTE,
    };
    let html = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html))
}
