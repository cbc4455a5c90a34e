//! The sandbox platform: a faithful fake of the parts of Facebook that Fanfare
//! uses, so the whole product runs and is tested with no Facebook app and no
//! internet. Mounted under `/sandbox` in sandbox mode (never in live mode) and
//! runnable alone as `fanfare sandbox`.
//!
//! - [`dialog`]: the OAuth dialog, where a person picks a sandbox user and approves scopes.
//! - [`graph`]: Graph API paths with Facebook's response and error shapes, token and
//!   `appsecret_proof` checks, paging and batch.
//! - [`admin`]: fault knobs and page activity (comments, reactions, shares, mentions)
//!   that the [`sender`] delivers as signed webhooks, batched and retried like Facebook.
//! - [`seed`]: the deterministic starting world.
//!
//! Its state lives in the `sandbox_*` tables, so it survives restarts.

pub mod admin;
pub mod dialog;
pub mod errors;
pub mod faults;
pub mod fb_json;
pub mod graph;
pub mod routes;
pub mod seed;
pub mod sender;
pub mod store;

use std::sync::{Arc, RwLock};

use crate::config::{Secret, Settings};
pub use faults::Faults;

/// Configuration and runtime knobs shared by the sandbox routes and sender.
pub struct Sandbox {
    pub app_id: String,
    pub app_secret: Secret,
    pub app_name: String,
    /// Where page events are POSTed.
    pub webhook_url: String,
    /// Base URL of the sandbox itself (`<public_url>/sandbox`), used in `paging.next`.
    pub base_url: String,
    pub api_version: String,
    pub webhook_batch: i64,
    faults: RwLock<Faults>,
    /// Graph HTTP requests received (a batch request counts once), for benchmarks.
    graph_requests: std::sync::atomic::AtomicU64,
}

impl Sandbox {
    pub fn new(settings: &Settings, public_url: &str) -> Arc<Sandbox> {
        let webhook_url = if settings.sandbox.webhook_url.trim().is_empty() {
            format!("{public_url}/webhooks/facebook")
        } else {
            settings.sandbox.webhook_url.trim().to_string()
        };
        Arc::new(Sandbox {
            app_id: settings.facebook.app_id.clone(),
            app_secret: settings.facebook.app_secret.clone(),
            app_name: "Fanfare (sandbox)".into(),
            webhook_url,
            base_url: format!("{public_url}/sandbox"),
            api_version: settings.facebook.api_version.clone(),
            webhook_batch: settings.sandbox.webhook_batch.max(1),
            faults: RwLock::new(Faults::from_settings(&settings.sandbox)),
            graph_requests: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub fn faults(&self) -> Faults {
        self.faults.read().expect("faults lock").clone()
    }

    /// Counts one Graph HTTP request (plain or batch).
    pub fn count_graph_request(&self) {
        self.graph_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Graph HTTP requests received since start.
    pub fn graph_requests(&self) -> u64 {
        self.graph_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.write().expect("faults lock") = faults;
    }

    /// The app access token, `app_id|app_secret`.
    pub fn app_token(&self) -> String {
        format!("{}|{}", self.app_id, self.app_secret.expose())
    }
}
