//! Cookie policy. Admin cookies are `SameSite=Lax`; fan cookies must work inside the
//! facebook.com iframe, which needs `SameSite=None; Secure` on https. Plain-http
//! local runs cannot use `None`, so they fall back to `Lax`.

use actix_web::cookie::{Cookie, SameSite};

use crate::config::CookieSecure;
use crate::state::AppState;

pub const ADMIN_COOKIE: &str = "fanfare_admin";
pub const FAN_COOKIE: &str = "fanfare_fan";
pub const OAUTH_COOKIE: &str = "fanfare_oauth";
pub const CSRF_COOKIE: &str = "fanfare_csrf";
pub const VISITOR_COOKIE: &str = "fanfare_visitor";
pub const REFERRAL_COOKIE: &str = "fanfare_ref";

pub fn secure(state: &AppState) -> bool {
    match state.settings.security.cookie_secure {
        CookieSecure::Always => true,
        CookieSecure::Never => false,
        CookieSecure::Auto => state.public_url.starts_with("https://"),
    }
}

/// An HttpOnly cookie for the dashboard.
pub fn admin_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age_secs: i64,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(state))
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

/// An HttpOnly cookie that must also work in the fan page's iframe.
pub fn fan_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age_secs: i64,
) -> Cookie<'static> {
    let secure = secure(state);
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(if secure {
            SameSite::None
        } else {
            SameSite::Lax
        })
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

/// Expires a cookie.
pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::build(name, "").path("/").finish();
    c.make_removal();
    c
}
