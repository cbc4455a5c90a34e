//! `GET /webhooks/facebook` (verification handshake) and `POST /webhooks/facebook`
//! (deliveries).
//!
//! A delivery is verified first, over the raw bytes, before anything else is
//! looked at. A verified delivery is committed to Postgres (by the group-commit
//! [`Ingestor`](crate::ingest::Ingestor)) before it is answered 200.

use std::collections::HashMap;

use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{web, HttpRequest, HttpResponse};
use futures::StreamExt;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::error::AppError;
use crate::ingest::VerifiedDelivery;
use crate::platform::facebook::signature::verify_delivery;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks/facebook")
            .route(web::get().to(handshake))
            .route(web::post().to(receive)),
    );
}

/// Webhook verification handshake: echoes `hub.challenge` when the verify token matches.
#[utoipa::path(
    get,
    path = "/webhooks/facebook",
    tag = "facebook",
    params(
        ("hub.mode" = String, Query, description = "Always `subscribe`"),
        ("hub.verify_token" = String, Query, description = "Must equal `facebook.verify_token`"),
        ("hub.challenge" = String, Query, description = "Echoed back as plain text"),
    ),
    responses(
        (status = 200, description = "The challenge, as text/plain", body = String, content_type = "text/plain"),
        (status = 403, description = "Wrong mode or token", body = String, content_type = "text/plain"),
    )
)]
pub(crate) async fn handshake(
    state: web::Data<AppState>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let mode = query.get("hub.mode").map(String::as_str);
    let token = query
        .get("hub.verify_token")
        .map(String::as_str)
        .unwrap_or("");
    let expected = state.settings.facebook.verify_token.expose();
    let token_ok: bool = token.as_bytes().ct_eq(expected.as_bytes()).into();
    match (mode, query.get("hub.challenge")) {
        (Some("subscribe"), Some(challenge)) if token_ok && !expected.is_empty() => {
            HttpResponse::Ok()
                .content_type("text/plain; charset=utf-8")
                .body(challenge.clone())
        }
        _ => HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body("verification failed"),
    }
}

/// A webhook delivery. The signature is checked over the raw body before anything
/// else; the delivery is committed to Postgres before it is answered 200.
#[utoipa::path(
    post,
    path = "/webhooks/facebook",
    tag = "facebook",
    params(
        ("X-Hub-Signature-256" = String, Header, description = "`sha256=<hex HMAC of the raw body with the app secret>`"),
        ("X-Hub-Signature" = Option<String>, Header, description = "Legacy `sha1=<hex>`, accepted only with `facebook.accept_sha1`"),
    ),
    request_body(content = Object, content_type = "application/json", description = "Facebook's `{\"object\":\"page\",\"entry\":[…]}` envelope"),
    responses(
        (status = 200, description = "Stored (or a duplicate of a stored delivery)", body = super::openapi::Status),
        (status = 401, description = "Missing or wrong signature", body = super::openapi::ErrorResponse),
        (status = 413, description = "Body over `facebook.max_body_bytes`", body = super::openapi::ErrorResponse),
        (status = 503, description = "Database unavailable; Facebook retries", body = super::openapi::ErrorResponse),
    )
)]
pub(crate) async fn receive(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let limit = state.settings.facebook.max_body_bytes;
    let too_large = || AppError::too_large(format!("webhook bodies are limited to {limit} bytes"));
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        state
            .metrics
            .rejections
            .with_label_values(&["too_large"])
            .inc();
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(4096).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::bad_request("bad_body", e.to_string()))?;
        if body.len() + chunk.len() > limit {
            state
                .metrics
                .rejections
                .with_label_values(&["too_large"])
                .inc();
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();

    let sha256 = req
        .headers()
        .get("x-hub-signature-256")
        .map(|v| v.as_bytes());
    let sha1 = req.headers().get("x-hub-signature").map(|v| v.as_bytes());
    let fb = &state.settings.facebook;
    if let Err(err) = verify_delivery(
        &body,
        sha256,
        sha1,
        fb.app_secret.expose().as_bytes(),
        fb.accept_sha1,
    ) {
        state
            .metrics
            .rejections
            .with_label_values(&[err.reason()])
            .inc();
        return Err(AppError::unauthorized("bad_signature", err.to_string()));
    }
    let signature = String::from_utf8_lossy(sha256.or(sha1).unwrap_or_default()).into_owned();
    let outcome = state
        .ingestor
        .submit(VerifiedDelivery { body, signature })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"status": outcome.label()})))
}
