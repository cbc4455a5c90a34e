//! OAuth login state: unguessable, expiring, single-use, and bound to the browser
//! that started the login through a cookie nonce. Only hashes are stored.

use chrono::{Duration, Utc};
use diesel::pg::PgConnection;

use crate::crypto::{random_token, sha256_hex};
use crate::db::oauth_states::{self, NewState, UsedState};

/// A freshly started login: the `state` for the dialog and the nonce for the cookie.
pub struct Started {
    pub state: String,
    pub browser_nonce: String,
}

pub fn start(
    conn: &mut PgConnection,
    purpose: &str,
    ttl_secs: i64,
    page_id: Option<i64>,
    return_to: Option<&str>,
) -> diesel::QueryResult<Started> {
    let state = random_token(24);
    let browser_nonce = random_token(24);
    oauth_states::create(
        conn,
        &NewState {
            state_hash: &sha256_hex(state.as_bytes()),
            purpose,
            browser_hash: &sha256_hex(browser_nonce.as_bytes()),
            page_id,
            return_to,
            expires_at: Utc::now() + Duration::seconds(ttl_secs),
        },
    )?;
    Ok(Started {
        state,
        browser_nonce,
    })
}

/// Why a callback's state was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateProblem {
    Missing,
    /// Unknown, or already used.
    Unknown,
    Expired,
    /// The login was started in another browser (or its cookie is gone).
    OtherBrowser,
}

impl StateProblem {
    pub fn explain(&self) -> (&'static str, &'static str) {
        match self {
            StateProblem::Missing => (
                "This sign-in link is incomplete",
                "The answer from Facebook did not include the sign-in state. Start again from the sign-in button.",
            ),
            StateProblem::Unknown => (
                "This sign-in link is not valid",
                "It may already have been used, or it did not come from this site. Start again from the sign-in button.",
            ),
            StateProblem::Expired => (
                "This sign-in took too long",
                "For your safety sign-in links expire after a few minutes. Start again from the sign-in button.",
            ),
            StateProblem::OtherBrowser => (
                "This sign-in was started in another browser",
                "Finish signing in in the browser where you started, or start again here.",
            ),
        }
    }
}

/// Consumes the state (single use) and checks expiry and browser binding.
pub fn finish(
    conn: &mut PgConnection,
    purpose: &str,
    state: Option<&str>,
    browser_nonce: Option<&str>,
) -> diesel::QueryResult<Result<UsedState, StateProblem>> {
    let Some(state) = state.filter(|s| !s.is_empty()) else {
        return Ok(Err(StateProblem::Missing));
    };
    let Some(used) = oauth_states::consume(conn, &sha256_hex(state.as_bytes()), purpose)? else {
        return Ok(Err(StateProblem::Unknown));
    };
    if used.expires_at < Utc::now() {
        return Ok(Err(StateProblem::Expired));
    }
    let bound = browser_nonce.is_some_and(|n| {
        subtle::ConstantTimeEq::ct_eq(
            sha256_hex(n.as_bytes()).as_bytes(),
            used.browser_hash.as_bytes(),
        )
        .into()
    });
    if !bound {
        return Ok(Err(StateProblem::OtherBrowser));
    }
    Ok(Ok(used))
}

/// The dialog URL for a login.
pub fn dialog_url(
    dialog_base: &str,
    version: &str,
    app_id: &str,
    redirect_uri: &str,
    state: &str,
    scope: &str,
) -> String {
    let mut url = url::Url::parse(&format!("{dialog_base}/{version}/dialog/oauth"))
        .expect("dialog base is an absolute URL");
    url.query_pairs_mut()
        .append_pair("client_id", app_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("response_type", "code")
        .append_pair("scope", scope);
    url.to_string()
}
