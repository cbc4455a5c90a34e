//! Fan sessions: a signed cookie naming the fan's app-scoped Facebook id, set by
//! "Log in with Facebook" on the fan page. Separate key, audience and cookie from
//! admin sessions, so neither can stand in for the other.

use actix_web::{web, HttpRequest};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::cookies::FAN_COOKIE;
use super::jwt;
use crate::state::AppState;

pub const AUDIENCE: &str = "fanfare-fan";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FanClaims {
    /// App-scoped Facebook user id.
    pub sub: String,
    pub name: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

pub fn issue(state: &AppState, asid: &str, name: &str) -> String {
    let now = Utc::now().timestamp();
    jwt::sign(
        &state.keys.fan_session,
        &FanClaims {
            sub: asid.to_string(),
            name: name.to_string(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + state.settings.security.fan_session_ttl_secs,
        },
    )
}

/// The signed-in fan, if any. Invalid or expired cookies count as signed out.
pub fn current(req: &HttpRequest) -> Option<FanClaims> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let cookie = req.cookie(FAN_COOKIE)?;
    jwt::verify(&state.keys.fan_session, cookie.value(), AUDIENCE).ok()
}
