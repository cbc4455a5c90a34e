//! Tests of the client against a wiremock server standing in for Graph (or the
//! sandbox: the base URL has a `/sandbox` prefix, as in sandbox mode). Time is a
//! [`ManualClock`], so waits are asserted, never slept.

mod batch;
mod calls;
mod helpers;
mod paging;
mod resilience;
mod usage;

use std::sync::Arc;
use std::time::Duration;

use wiremock::MockServer;

use super::{AccessToken, GraphClient, GraphConfig, ManualClock};
use crate::config::Secret;
use crate::platform::facebook::proof::appsecret_proof;

pub(super) const APP_ID: &str = "123";
pub(super) const APP_SECRET: &str = "foo_secret";
pub(super) const TOKEN: &str = "foo_token";
/// appsecret_proof of `foo_token` under `foo_secret` (doc vector).
pub(super) const TOKEN_PROOF: &str =
    "df4256903ba4e23636cc142117aa632133d75c642bd2a68955be1443bd14deb9";
pub(super) const PREFIX: &str = "/sandbox/v21.0";

pub(super) struct Harness {
    pub server: MockServer,
    pub client: GraphClient,
    pub clock: ManualClock,
}

pub(super) fn config(base_url: &str) -> GraphConfig {
    GraphConfig {
        base_url: base_url.to_string(),
        api_version: "v21.0".into(),
        app_id: APP_ID.into(),
        app_secret: Secret::new(APP_SECRET),
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        max_retries: 2,
        backoff_base: Duration::from_millis(100),
        max_pages: 10,
        usage_slowdown_percent: 75,
    }
}

pub(super) async fn harness() -> Harness {
    harness_with(|_| {}).await
}

pub(super) async fn harness_with(tweak: impl FnOnce(&mut GraphConfig)) -> Harness {
    let server = MockServer::start().await;
    let mut cfg = config(&format!("{}/sandbox", server.uri()));
    tweak(&mut cfg);
    let clock = ManualClock::new();
    let client = GraphClient::new(cfg)
        .expect("client")
        .with_clock(Arc::new(clock.clone()));
    Harness {
        server,
        client,
        clock,
    }
}

pub(super) fn page_token() -> AccessToken {
    AccessToken::page("42", TOKEN)
}

pub(super) fn user_token() -> AccessToken {
    AccessToken::user("7", TOKEN)
}

#[test]
fn token_proof_constant_matches_the_proof_function() {
    assert_eq!(appsecret_proof(APP_SECRET, TOKEN), TOKEN_PROOF);
}
