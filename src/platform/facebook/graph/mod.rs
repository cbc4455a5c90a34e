//! The Graph API client.
//!
//! One client talks to the real Graph API in live mode and to Fanfare's sandbox
//! in sandbox mode; only [`GraphConfig::base_url`] differs. Every call:
//!
//! - carries its token as an [`AccessToken`] (value kept secret, owner known) and
//!   sends `appsecret_proof` with it;
//! - is paced by the usage headers (slowed down near the quota, refused locally
//!   while its business object is paused) — see [`usage`];
//! - is retried with exponential backoff and jitter on network errors,
//!   timeouts, 5xx, transient codes and rate limits — see [`retry`];
//! - fails with a typed [`GraphError`]; a token failure also calls the
//!   [token-error hook](GraphClient::with_token_error_hook) with the owner;
//! - is logged, and reported in errors, only with its URL redacted — see [`redact`].
//!
//! On top: [`GraphClient::get_all`] follows paging to the end, and
//! [`GraphClient::batch`] sends up to 50 calls per HTTP request. The typed
//! helpers (OAuth, pages, posts, users) are what the rest of Fanfare uses.

pub mod batch;
pub mod client;
pub mod clock;
pub mod config;
pub mod error;
mod oauth;
mod pages;
pub mod paging;
pub mod posts;
pub mod redact;
pub mod response;
pub mod retry;
pub mod target;
pub mod token;
pub mod types;
pub mod usage;
mod users;

#[cfg(test)]
mod tests;

pub use batch::{BatchMethod, BatchRequest, MAX_BATCH};
pub use client::{GraphClient, TokenErrorHook};
pub use clock::{Clock, ManualClock, TokioClock};
pub use config::GraphConfig;
pub use error::GraphError;
pub use token::{AccessToken, TokenOwner};
pub use types::{
    Comment, DebugToken, DebugTokenError, Me, PageAccount, PostReach, SubscribedApp, TokenResponse,
};
pub use usage::{UsagePercent, UsageSnapshot};
