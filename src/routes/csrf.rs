//! CSRF checks for state-changing requests.
//!
//! Bearer-token API clients are not exposed to CSRF (browsers never attach the
//! header on their own). Cookie sessions must prove the request came from our own
//! page: an `X-CSRF-Token` header (scripts) or a `csrf_token` form field (forms)
//! equal to the session's token.

use actix_web::{web, HttpRequest};

use crate::auth::admin::AdminAuth;
use crate::auth::csrf;
use crate::error::AppError;
use crate::state::AppState;

/// The token a dashboard page embeds in its forms.
pub fn token_for_admin(state: &AppState, auth: &AdminAuth) -> String {
    csrf::token_for(state, &format!("admin:{}", auth.session_id))
}

fn from_bearer(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "))
}

/// Checks the header (for requests without a form body).
pub async fn require_for_cookie_session(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    auth: &AdminAuth,
) -> Result<(), AppError> {
    let header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    check(req, state, auth, header.as_deref())
}

/// Checks a token taken from a form field (or the header).
pub fn check(
    req: &HttpRequest,
    state: &AppState,
    auth: &AdminAuth,
    token: Option<&str>,
) -> Result<(), AppError> {
    if from_bearer(req) {
        return Ok(());
    }
    let header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    let supplied = token.or(header).unwrap_or("");
    if csrf::verify(state, &format!("admin:{}", auth.session_id), supplied) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "csrf",
            "this form has expired or did not come from Fanfare; reload the page and try again",
        ))
    }
}
