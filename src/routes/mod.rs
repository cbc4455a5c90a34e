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
                actix_web::error::JsonPayloadError::Deserialize(e) => malformed_json(e),
                other => AppError::bad_request("malformed_json", other.to_string()),
            };
            status.into()
        })
}

/// A JSON body that parsed but does not fit the expected type. serde's message
/// for a fractional number where an integer belongs ("invalid type: floating
/// point `1.5`, expected i64") gets a plainer lead.
pub fn malformed_json(e: &serde_json::Error) -> AppError {
    let m = e.to_string();
    let integer = m.starts_with("invalid type: floating point")
        && (m.contains("expected i") || m.contains("expected u"));
    if integer {
        AppError::bad_request(
            "malformed_json",
            format!("expected an integer, got a number with a fraction: {m}"),
        )
    } else {
        AppError::bad_request("malformed_json", format!("Json deserialize error: {m}"))
    }
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
