//! HTTP routes, one file per resource. Handlers validate input into domain types,
//! call the domain and db layers, and return [`AppError`] on failure.

pub mod api;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod dashboard;
pub mod facebook_callbacks;
pub mod fan;
pub mod fan_auth;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod security_headers;
pub mod styleguide;
pub mod uploads;
pub mod webhooks;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;

/// Mounts every route. `sandbox` routes are mounted by the caller in sandbox mode only.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    metrics::configure(cfg);
    webhooks::configure(cfg);
    facebook_callbacks::configure(cfg);
    auth::configure(cfg);
    fan_auth::configure(cfg);
    fan::configure(cfg);
    api::configure(cfg);
    dashboard::configure(cfg);
    assets::configure(cfg);
    openapi::configure(cfg);
    styleguide::configure(cfg);
    uploads::configure(cfg);
}

/// Unknown routes: a JSON 404 in the common error shape.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::not_found(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}

/// Malformed JSON bodies and query strings answer in the common error shape.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req| {
            let status = match &err {
                actix_web::error::JsonPayloadError::Overflow { .. }
                | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => {
                    AppError::too_large(format!("JSON body exceeds {limit} bytes"))
                }
                actix_web::error::JsonPayloadError::ContentType => AppError::new(
                    actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "expected Content-Type: application/json",
                ),
                actix_web::error::JsonPayloadError::Deserialize(e) if is_float_for_integer(e) => {
                    AppError::bad_request(
                        "malformed_json",
                        format!(
                            "expected an integer, got a number with a decimal point \
                             (write 1, not 1.0): {e}"
                        ),
                    )
                }
                other => AppError::bad_request("malformed_json", other.to_string()),
            };
            status.into()
        })
}

/// serde_json refuses `1.0` for an integer field ("invalid type: floating point
/// `1.0`, expected i64"). The API documents integers as integers and keeps
/// refusing them, with a message that says what to send instead.
fn is_float_for_integer(e: &serde_json::Error) -> bool {
    let m = e.to_string();
    m.starts_with("invalid type: floating point")
        && (m.contains("expected i") || m.contains("expected u"))
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _req| AppError::bad_request("malformed_query", err.to_string()).into())
}

pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(limit)
        .error_handler(|err, _req| match err {
            actix_web::error::UrlencodedError::Overflow { .. } => {
                AppError::too_large("form body is too large").into()
            }
            other => AppError::bad_request("malformed_form", other.to_string()).into(),
        })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _req| AppError::not_found(err.to_string()).into())
}
