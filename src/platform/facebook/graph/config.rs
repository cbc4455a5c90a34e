//! Client configuration. The base URL is the only thing that differs between live
//! mode (`https://graph.facebook.com`) and sandbox mode (`<public_url>/sandbox`);
//! the caller resolves it, so this client cannot tell the two apart.

use std::time::Duration;

use crate::config::{FacebookSettings, Secret};

/// Everything the Graph client needs. Build it with [`GraphConfig::from_settings`]
/// in the application, or literally in tests.
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// Scheme, host and optional path prefix, without a trailing slash, e.g.
    /// `https://graph.facebook.com` or `http://127.0.0.1:8080/sandbox`.
    pub base_url: String,
    /// Pinned version segment, e.g. `v21.0`. URLs are `{base_url}/{api_version}/{path}`.
    pub api_version: String,
    pub app_id: String,
    /// Keys `appsecret_proof` and forms the app token. Never logged.
    pub app_secret: Secret,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Total timeout of one attempt (connect, send, and read the whole body).
    pub timeout: Duration,
    /// Retries after the first attempt, for retryable failures only.
    pub max_retries: u32,
    /// Base of the exponential backoff: attempt n waits `backoff_base × 2^n` plus jitter.
    pub backoff_base: Duration,
    /// Safety cap on pages followed through `paging.next`.
    pub max_pages: usize,
    /// Usage percent (from the usage headers) at which calls start to be slowed down.
    pub usage_slowdown_percent: u32,
}

impl GraphConfig {
    /// The client configuration from the `[facebook]` settings and a base URL the
    /// caller resolved (sandbox URL or `https://graph.facebook.com`).
    pub fn from_settings(settings: &FacebookSettings, base_url: &str) -> GraphConfig {
        GraphConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            api_version: settings.api_version.trim_matches('/').to_string(),
            app_id: settings.app_id.clone(),
            app_secret: settings.app_secret.clone(),
            connect_timeout: Duration::from_millis(settings.graph_connect_timeout_ms),
            timeout: Duration::from_millis(settings.graph_timeout_ms),
            max_retries: settings.graph_max_retries,
            backoff_base: Duration::from_millis(settings.graph_backoff_base_ms),
            max_pages: settings.graph_max_pages,
            usage_slowdown_percent: settings.graph_usage_slowdown_percent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FacebookMode;

    fn settings() -> FacebookSettings {
        FacebookSettings {
            mode: FacebookMode::Sandbox,
            app_id: "app-1".into(),
            app_secret: Secret::new("s3cret"),
            verify_token: Secret::new("v"),
            graph_url: String::new(),
            dialog_url: String::new(),
            api_version: "v21.0".into(),
            accept_sha1: false,
            max_body_bytes: 1,
            signed_request_max_age_secs: 1,
            signed_request_max_skew_secs: 1,
            graph_connect_timeout_ms: 2000,
            graph_timeout_ms: 10000,
            graph_max_retries: 4,
            graph_backoff_base_ms: 200,
            graph_max_pages: 1000,
            graph_usage_slowdown_percent: 75,
        }
    }

    #[test]
    fn from_settings_maps_every_field() {
        let c = GraphConfig::from_settings(&settings(), "http://127.0.0.1:8080/sandbox/");
        assert_eq!(c.base_url, "http://127.0.0.1:8080/sandbox");
        assert_eq!(c.api_version, "v21.0");
        assert_eq!(c.app_id, "app-1");
        assert_eq!(c.app_secret.expose(), "s3cret");
        assert_eq!(c.connect_timeout, Duration::from_millis(2000));
        assert_eq!(c.timeout, Duration::from_millis(10000));
        assert_eq!(c.max_retries, 4);
        assert_eq!(c.backoff_base, Duration::from_millis(200));
        assert_eq!(c.max_pages, 1000);
        assert_eq!(c.usage_slowdown_percent, 75);
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
