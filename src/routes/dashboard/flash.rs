//! Flash messages across a redirect (POST → 303 → GET).
//!
//! The messages travel in a short-lived cookie (`fanfare_flash`, path
//! `/dashboard`, HttpOnly, one minute), never in the URL: a URL is logged,
//! shared and bookmarked, and a message in it could be forged by anyone sending
//! a link. The cookie is signed (HMAC with the CSRF key) so a value set by
//! something else (a sibling subdomain, say) is ignored. The page that shows the
//! messages deletes the cookie.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use base64::Engine;

use crate::state::AppState;
use crate::ui::layout::{Flash, FlashKind};

pub const FLASH_COOKIE: &str = "fanfare_flash";
const PATH: &str = "/dashboard";
const MAX_AGE_SECS: i64 = 60;
/// Longest message kept, in characters (cookies hold about 4 KB).
const MAX_MESSAGE: usize = 600;

fn kind_str(k: FlashKind) -> &'static str {
    match k {
        FlashKind::Success => "s",
        FlashKind::Info => "i",
        FlashKind::Warning => "w",
        FlashKind::Error => "e",
    }
}

fn kind_of(s: &str) -> Option<FlashKind> {
    Some(match s {
        "s" => FlashKind::Success,
        "i" => FlashKind::Info,
        "w" => FlashKind::Warning,
        "e" => FlashKind::Error,
        _ => return None,
    })
}

fn mac(state: &AppState, payload: &str) -> String {
    crate::auth::csrf::token_for(state, &format!("flash|{payload}"))
}

/// The cookie carrying `flashes` to the next page.
pub fn cookie(state: &AppState, flashes: &[Flash]) -> Cookie<'static> {
    let list: Vec<(&str, String)> = flashes
        .iter()
        .take(5)
        .map(|f| {
            (
                kind_str(f.kind),
                f.message.chars().take(MAX_MESSAGE).collect(),
            )
        })
        .collect();
    let json = serde_json::to_string(&list).unwrap_or_else(|_| "[]".into());
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let value = format!("{payload}.{}", mac(state, &payload));
    Cookie::build(FLASH_COOKIE, value)
        .path(PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(crate::auth::cookies::secure(state))
        .max_age(actix_web::cookie::time::Duration::seconds(MAX_AGE_SECS))
        .finish()
}

/// Deletes the cookie (same path as it was set with).
pub fn removal() -> Cookie<'static> {
    let mut c = Cookie::build(FLASH_COOKIE, "").path(PATH).finish();
    c.make_removal();
    c
}

/// The flashes the request carries (only if the signature holds), and whether
/// there was a cookie to delete.
pub fn take(req: &HttpRequest, state: &AppState) -> (Vec<Flash>, bool) {
    let Some(c) = req.cookie(FLASH_COOKIE) else {
        return (Vec::new(), false);
    };
    (decode(state, c.value()).unwrap_or_default(), true)
}

fn decode(state: &AppState, value: &str) -> Option<Vec<Flash>> {
    let (payload, tag) = value.split_once('.')?;
    if !crate::auth::csrf::verify(state, &format!("flash|{payload}"), tag) {
        return None;
    }
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let list: Vec<(String, String)> = serde_json::from_slice(&json).ok()?;
    Some(
        list.into_iter()
            .filter_map(|(k, m)| Some(Flash::new(kind_of(&k)?, m)))
            .collect(),
    )
}
