//! What a fan request carries: the fan session, the visitor cookie, CSRF binding,
//! IP and user agent (hashed), and whether the client wants JSON.

use actix_web::http::header::{ACCEPT, USER_AGENT};
use actix_web::{HttpRequest, HttpResponseBuilder};
use chrono::Utc;

use crate::auth::cookies::{fan_cookie, CSRF_COOKIE, VISITOR_COOKIE};
use crate::auth::csrf;
use crate::auth::fan::FanClaims;
use crate::crypto::{random_token, sha256_hex};
use crate::domain::voting::Voter;
use crate::state::AppState;

pub struct FanRequest {
    pub session: Option<FanClaims>,
    pub visitor_id: String,
    new_visitor: bool,
    csrf_nonce: String,
    new_csrf: bool,
    pub ip: Option<String>,
    user_agent: Option<actix_web::http::header::HeaderValue>,
    pub wants_json: bool,
}

/// Visitors and CSRF nonces live for a year; they identify a browser, not a person.
const BROWSER_COOKIE_SECS: i64 = 365 * 24 * 3600;

impl FanRequest {
    pub fn from(req: &HttpRequest) -> FanRequest {
        let cookie = |name: &str| {
            req.cookie(name).map(|c| c.value().to_string()).filter(|v| {
                v.len() >= 16
                    && v.len() <= 64
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
        };
        let (visitor_id, new_visitor) = match cookie(VISITOR_COOKIE) {
            Some(v) => (v, false),
            None => (random_token(16), true),
        };
        let (csrf_nonce, new_csrf) = match cookie(CSRF_COOKIE) {
            Some(v) => (v, false),
            None => (random_token(16), true),
        };
        let wants_json = req
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"));
        FanRequest {
            session: crate::auth::fan::current(req),
            visitor_id,
            new_visitor,
            csrf_nonce,
            new_csrf,
            ip: req.peer_addr().map(|a| a.ip().to_string()),
            user_agent: req.headers().get(USER_AGENT).cloned(),
            wants_json,
        }
    }

    /// The user agent, hashed (a fraud signal on entries and votes; computed
    /// only for those, not for every page view).
    pub fn user_agent_hash(&self) -> Option<String> {
        self.user_agent
            .as_ref()
            .map(|ua| sha256_hex(ua.as_bytes())[..16].to_string())
    }

    /// Sets the visitor and CSRF cookies on first contact.
    pub fn set_cookies(&self, state: &AppState, resp: &mut HttpResponseBuilder) {
        if self.new_visitor {
            resp.cookie(fan_cookie(
                state,
                VISITOR_COOKIE,
                self.visitor_id.clone(),
                BROWSER_COOKIE_SECS,
            ));
        }
        if self.new_csrf {
            resp.cookie(fan_cookie(
                state,
                CSRF_COOKIE,
                self.csrf_nonce.clone(),
                BROWSER_COOKIE_SECS,
            ));
        }
    }

    /// A signed-in fan binds forms to their session; otherwise to the browser's
    /// CSRF cookie. When a browser refuses third-party cookies inside the
    /// facebook.com iframe, the binding falls back to the form itself and the hour,
    /// which still stops cross-site forgery of anonymous forms (there is no ambient
    /// session to abuse in that case).
    fn binding(&self, slug: &str, hour_offset: i64) -> String {
        match (&self.session, self.new_csrf) {
            (Some(s), _) => format!("fan:{}", s.sub),
            (None, false) => format!("browser:{}", self.csrf_nonce),
            (None, true) => format!(
                "form:{slug}:{}",
                Utc::now().timestamp() / 3600 - hour_offset
            ),
        }
    }

    pub fn csrf_token(&self, state: &AppState, slug: &str) -> String {
        match (&self.session, self.new_csrf) {
            // A brand-new browser gets the cookie with this response: bind to it.
            (None, true) => csrf::token_for(state, &format!("browser:{}", self.csrf_nonce)),
            _ => csrf::token_for(state, &self.binding(slug, 0)),
        }
    }

    pub fn csrf_ok(&self, state: &AppState, slug: &str, token: Option<&str>) -> bool {
        let Some(token) = token else { return false };
        csrf::verify(state, &self.binding(slug, 0), token)
            || (self.session.is_none()
                && self.new_csrf
                && csrf::verify(state, &self.binding(slug, 1), token))
    }

    /// The voter identity of the fan session.
    pub fn voter(&self) -> Option<Voter> {
        let s = self.session.as_ref()?;
        Some(match s.sub.strip_prefix("email:") {
            Some(email) => Voter::Email {
                email: email.to_string(),
            },
            None => Voter::Facebook {
                asid: s.sub.clone(),
                name: Some(s.name.clone()).filter(|n| !n.is_empty()),
            },
        })
    }

    /// The app-scoped id of a Facebook-logged-in fan.
    pub fn asid(&self) -> Option<String> {
        self.session
            .as_ref()
            .filter(|s| !s.sub.starts_with("email:"))
            .map(|s| s.sub.clone())
    }
}
