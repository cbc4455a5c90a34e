//! Admin sessions: issuing the JWT, the [`AdminAuth`] extractor, and renewal.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::cookies::ADMIN_COOKIE;
use super::jwt;
use crate::db::admins;
use crate::error::AppError;
use crate::state::AppState;

pub const AUDIENCE: &str = "fanfare-admin";

#[derive(Debug, Serialize, Deserialize)]
pub struct AdminClaims {
    /// The admin's Fanfare id.
    pub sub: String,
    /// The `admin_sessions` row.
    pub sid: Uuid,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signs a session token that expires after `session_ttl_secs`, never after the
/// session's hard expiry.
pub fn issue(
    state: &AppState,
    admin_id: i64,
    session_id: Uuid,
    hard_expiry: DateTime<Utc>,
) -> String {
    let now = Utc::now().timestamp();
    let exp = (now + state.settings.security.session_ttl_secs).min(hard_expiry.timestamp());
    jwt::sign(
        &state.keys.admin_session,
        &AdminClaims {
            sub: admin_id.to_string(),
            sid: session_id,
            aud: AUDIENCE.into(),
            iat: now,
            exp,
        },
    )
}

/// Starts a session for a signed-in admin; returns the token.
pub async fn start(state: &AppState, admin_id: i64) -> Result<String, AppError> {
    let hard = Utc::now() + chrono::Duration::seconds(state.settings.security.session_max_age_secs);
    let sid = state
        .db
        .run(move |c| Ok(admins::create_session(c, admin_id, hard)?))
        .await?;
    Ok(issue(state, admin_id, sid, hard))
}

/// A renewed token to hand back with the response (cookie, or header for bearer clients).
#[derive(Clone)]
pub struct RenewedSession {
    pub token: String,
    pub from_cookie: bool,
}

/// An authenticated admin. Extracting it verifies the JWT (HS256 only), checks the
/// session row is live, and schedules a renewal when the token is past half-life.
#[derive(Debug, Clone, Copy)]
pub struct AdminAuth {
    pub admin_id: i64,
    pub session_id: Uuid,
}

fn bearer(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
}

impl FromRequest for AdminAuth {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<AdminAuth, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?
                .clone();
            let (token, from_cookie) = match bearer(&req) {
                Some(t) => (t, false),
                None => match req.cookie(ADMIN_COOKIE) {
                    Some(c) => (c.value().to_string(), true),
                    None => {
                        return Err(AppError::unauthorized(
                            "not_signed_in",
                            "sign in to continue",
                        ))
                    }
                },
            };
            let claims: AdminClaims = jwt::verify(&state.keys.admin_session, &token, AUDIENCE)
                .map_err(|e| AppError::unauthorized("invalid_session", e.to_string()))?;
            let admin_id: i64 = claims
                .sub
                .parse()
                .map_err(|_| AppError::unauthorized("invalid_session", "malformed subject"))?;
            let sid = claims.sid;
            let hard = state
                .db
                .run(move |c| {
                    let live = admins::active_session(c, sid, admin_id)?;
                    if live.is_some() {
                        admins::touch_session(c, sid)?;
                    }
                    Ok(live)
                })
                .await?
                .ok_or_else(|| {
                    AppError::unauthorized("session_ended", "the session has ended; sign in again")
                })?;
            let now = Utc::now().timestamp();
            let half = state.settings.security.session_ttl_secs / 2;
            if claims.exp - now < half && claims.exp < hard.timestamp() {
                req.extensions_mut().insert(RenewedSession {
                    token: issue(&state, admin_id, sid, hard),
                    from_cookie,
                });
            }
            // Read-your-writes across the page-view buffer (see `Views::settle`).
            state.views.settle().await;
            Ok(AdminAuth {
                admin_id,
                session_id: sid,
            })
        })
    }
}

/// Like [`AdminAuth`] but `None` when nobody is signed in (dashboard pages redirect).
pub struct MaybeAdmin(pub Option<AdminAuth>);

impl FromRequest for MaybeAdmin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<MaybeAdmin, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = AdminAuth::from_request(req, payload);
        Box::pin(async move {
            match fut.await {
                Ok(a) => Ok(MaybeAdmin(Some(a))),
                Err(e) if e.status() == actix_web::http::StatusCode::UNAUTHORIZED => {
                    Ok(MaybeAdmin(None))
                }
                Err(e) => Err(e),
            }
        })
    }
}
