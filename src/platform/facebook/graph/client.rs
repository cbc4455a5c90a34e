//! The HTTP core: one place that builds URLs, signs calls with
//! `appsecret_proof`, paces them by usage, retries what is worth retrying,
//! classifies answers and reports token failures. Paging, batch and the typed
//! helpers are all built on `GraphClient::execute`.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::clock::{Clock, TokioClock};
use super::config::GraphConfig;
use super::error::GraphError;
use super::redact::{redact_text, redact_url};
use super::response::{
    classify, decode_value, error_chain, read_body, retry_after_header, transport_error,
};
use super::retry::{backoff_with_jitter, MAX_BACKOFF};
use super::target::{objects_for, target_of_relative};
use super::token::{AccessToken, TokenOwner};
use super::usage::{Plan, UsageSnapshot, UsageTracker};
use crate::metrics::Metrics;
use crate::platform::facebook::proof::appsecret_proof;

/// Called with the owner of a token that Facebook rejected (an auth error), so
/// the application can mark that page or user as needing to authorise again.
pub type TokenErrorHook = Arc<dyn Fn(&TokenOwner, &GraphError) + Send + Sync>;

/// The response header that names the Graph version that answered.
pub const API_VERSION_HEADER: &str = "facebook-api-version";

/// Code reported by a call refused locally because its object is paused: the
/// business-use-case rate limit code.
pub const LOCAL_PAUSE_CODE: i64 = 80001;

/// A Graph API client. Cheap to clone; clones share usage state, the last seen
/// API version, the hook and the metrics.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    config: Arc<GraphConfig>,
    state: Arc<Mutex<ClientState>>,
    hook: Option<TokenErrorHook>,
    metrics: Option<Metrics>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("config", &self.config)
            .field("hook", &self.hook.is_some())
            .field("metrics", &self.metrics.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct ClientState {
    usage: UsageTracker,
    api_version: Option<String>,
}

/// One logical call, before retries.
pub(crate) struct Call<'a> {
    pub method: Method,
    /// The URL without the token; the token and proof are added per attempt.
    pub url: Url,
    /// Form fields: when present the body is a form and the token goes in it.
    pub form: Option<Vec<(String, String)>>,
    /// The token to send (with its `appsecret_proof`).
    pub token: Option<&'a AccessToken>,
    /// Whose token an auth error is blamed on (defaults to `token`'s owner).
    pub blame: Option<&'a TokenOwner>,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, url: Url, token: Option<&'a AccessToken>) -> Self {
        Call {
            method,
            url,
            form: None,
            token,
            blame: token.map(|t| &t.owner),
        }
    }
}

impl GraphClient {
    /// A client with real time, no hook and no metrics.
    pub fn new(config: GraphConfig) -> Result<GraphClient, GraphError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("fanfare/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphError::InvalidRequest {
                message: format!("could not build the HTTP client: {}", error_chain(&e)),
            })?;
        Ok(GraphClient {
            http,
            config: Arc::new(config),
            state: Arc::new(Mutex::new(ClientState::default())),
            hook: None,
            metrics: None,
            clock: Arc::new(TokioClock),
        })
    }

    /// Installs the hook called on every auth error with the failing token's owner.
    pub fn with_token_error_hook(mut self, hook: TokenErrorHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Counts every HTTP attempt in `graph_calls_total{outcome}`: `ok`, an error
    /// [`kind`](GraphError::kind), or `paused` for a call refused locally.
    pub fn with_metrics(mut self, metrics: Option<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Replaces the clock (tests use [`super::clock::ManualClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// The app token `app_id|app_secret`.
    pub fn app_token(&self) -> AccessToken {
        AccessToken::app(&self.config.app_id, &self.config.app_secret)
    }

    /// The latest usage readings seen in answers.
    pub fn usage(&self) -> UsageSnapshot {
        self.lock().usage.snapshot()
    }

    /// The `Facebook-API-Version` header of the latest answer that had one.
    pub fn api_version_seen(&self) -> Option<String> {
        self.lock().api_version.clone()
    }

    /// How long a business object stays paused, if it is.
    pub fn paused_for(&self, object_id: &str) -> Option<Duration> {
        self.lock().usage.paused_for(object_id, self.clock.now())
    }

    /// What the client would do before sending a call to `path` now: wait this
    /// long (the usage slowdown, usually zero), or refuse with
    /// [`GraphError::RateLimited`] because the target is paused.
    pub fn planned_delay(
        &self,
        path: &str,
        token: Option<&AccessToken>,
    ) -> Result<Duration, GraphError> {
        let objects = objects_for(target_of_relative(path), token);
        match self.plan(&objects) {
            Plan::Go { delay, .. } => Ok(delay),
            Plan::Paused {
                object_id,
                remaining,
            } => Err(paused_error(&object_id, remaining)),
        }
    }

    /// `GET {base}/{version}/{path}?params` with the token and its proof,
    /// decoded into `T` (use `serde_json::Value` for raw JSON).
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
        token: &AccessToken,
    ) -> Result<T, GraphError> {
        let url = self.endpoint(path, params)?;
        let value = self
            .execute(Call::new(Method::GET, url, Some(token)))
            .await?;
        decode_value(value, path)
    }

    /// `POST {base}/{version}/{path}?params` with the token and its proof. The
    /// parameters go in the query string, as Facebook documents these calls
    /// (e.g. `subscribed_apps?subscribed_fields=feed`).
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
        token: &AccessToken,
    ) -> Result<T, GraphError> {
        let url = self.endpoint(path, params)?;
        let value = self
            .execute(Call::new(Method::POST, url, Some(token)))
            .await?;
        decode_value(value, path)
    }

    /// `{base_url}/{api_version}/{path}` with `params` in the query string.
    pub(crate) fn endpoint(&self, path: &str, params: &[(&str, &str)]) -> Result<Url, GraphError> {
        if path.contains(['?', '#']) {
            return Err(GraphError::InvalidRequest {
                message: "a Graph path must not carry a query; pass params".into(),
            });
        }
        let raw = format!(
            "{}/{}/{}",
            self.config.base_url.trim_end_matches('/'),
            self.config.api_version.trim_matches('/'),
            path.trim_start_matches('/')
        );
        let mut url = Url::parse(&raw).map_err(|e| GraphError::InvalidRequest {
            message: format!("bad Graph URL for path {}: {e}", redact_text(path)),
        })?;
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        Ok(url)
    }

    /// True when `url` is on the configured Graph origin (scheme, host, port):
    /// the only place a token may be sent.
    pub(crate) fn same_origin(&self, url: &Url) -> bool {
        Url::parse(&self.config.base_url)
            .map(|base| base.origin() == url.origin())
            .unwrap_or(false)
    }

    fn lock(&self) -> MutexGuard<'_, ClientState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn plan(&self, objects: &[String]) -> Plan {
        let ids: Vec<&str> = objects.iter().map(String::as_str).collect();
        self.lock()
            .usage
            .plan(&ids, self.clock.now(), self.config.usage_slowdown_percent)
    }

    pub(crate) fn count(&self, outcome: &str) {
        if let Some(m) = &self.metrics {
            m.graph_calls.with_label_values(&[outcome]).inc();
        }
    }

    /// Calls the hook when `err` is an auth error and the token's owner is known.
    pub(crate) fn report_token_error(&self, owner: Option<&TokenOwner>, err: &GraphError) {
        if let (true, Some(owner), Some(hook)) = (err.is_token_error(), owner, &self.hook) {
            tracing::warn!(%owner, error = %err, "Graph rejected a token; owner must authorise again");
            hook(owner, err);
        }
    }

    /// Whether a paused business object blocks this relative path now; used by
    /// batch to refuse single items without sending them.
    pub(crate) fn paused_target(&self, relative: &str) -> Option<GraphError> {
        let objects = objects_for(target_of_relative(relative), None);
        match self.plan(&objects) {
            Plan::Paused {
                object_id,
                remaining,
            } => {
                self.count("paused");
                Some(paused_error(&object_id, remaining))
            }
            Plan::Go { .. } => None,
        }
    }

    /// Runs one logical call: pause check, usage slowdown, send, classify, retry
    /// with backoff; on a final auth error, blames the token's owner and calls
    /// the hook.
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<Value, GraphError> {
        let objects = objects_for(self.target_of_url(&call.url), call.token);
        let shown = redact_url(&call.url);
        let mut attempt: u32 = 0;
        let result = loop {
            match self.plan(&objects) {
                Plan::Paused {
                    object_id,
                    remaining,
                } => {
                    self.count("paused");
                    break Err(paused_error(&object_id, remaining));
                }
                Plan::Go { delay, percent } if !delay.is_zero() => {
                    tracing::debug!(url = %shown, percent, delay_ms = delay.as_millis() as u64, "Graph usage high; slowing down");
                    self.clock.sleep(delay).await;
                }
                Plan::Go { .. } => {}
            }
            let outcome = self.send_once(&call, &shown, attempt).await;
            self.count(match &outcome {
                Ok(_) => "ok",
                Err(e) => e.kind(),
            });
            match outcome {
                Ok(v) => break Ok(v),
                Err(e) if e.is_retryable() && attempt < self.config.max_retries => {
                    let mut wait = backoff_with_jitter(self.config.backoff_base, attempt);
                    if let GraphError::RateLimited {
                        retry_after: Some(after),
                        ..
                    } = &e
                    {
                        // Minutes-long blocks are the caller's (the job queue's) to wait out.
                        if *after > MAX_BACKOFF {
                            break Err(e);
                        }
                        wait = wait.max(*after);
                    }
                    tracing::warn!(url = %shown, attempt, error = %e, wait_ms = wait.as_millis() as u64, "Graph call failed; retrying");
                    self.clock.sleep(wait).await;
                    attempt += 1;
                }
                Err(e) => break Err(e),
            }
        };
        result.map_err(|e| {
            let e = e.with_owner(call.blame);
            self.report_token_error(call.blame, &e);
            e
        })
    }

    /// One HTTP attempt.
    async fn send_once(
        &self,
        call: &Call<'_>,
        shown: &str,
        attempt: u32,
    ) -> Result<Value, GraphError> {
        let mut url = call.url.clone();
        let mut form = call.form.clone();
        if let Some(token) = call.token {
            let secret = token.value.expose();
            let proof = appsecret_proof(self.config.app_secret.expose(), secret);
            // Any token or proof already in the URL (paging.next) is replaced, so
            // the proof always matches the token actually sent.
            strip_auth_params(&mut url);
            match &mut form {
                Some(fields) => {
                    fields.push(("access_token".into(), secret.to_string()));
                    fields.push(("appsecret_proof".into(), proof));
                }
                None => {
                    url.query_pairs_mut()
                        .append_pair("access_token", secret)
                        .append_pair("appsecret_proof", &proof);
                }
            }
        }
        let mut request = self.http.request(call.method.clone(), url);
        if let Some(fields) = &form {
            request = request.form(fields);
        } else if call.method != Method::GET {
            request = request.form(&[] as &[(String, String)]);
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(e, shown))?;
        let status = response.status().as_u16();
        let regain = self.observe_headers(response.headers());
        let retry_after_header = retry_after_header(response.headers());
        let body = read_body(response, shown).await?;
        tracing::debug!(
            method = %call.method,
            url = %shown,
            token_owner = %call.blame.map(|o| o.to_string()).unwrap_or_else(|| "none".into()),
            status,
            attempt,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "Graph call"
        );
        let result = classify(status, &body, shown);
        match result {
            Err(GraphError::RateLimited {
                code,
                retry_after: None,
                message,
            }) => Err(GraphError::RateLimited {
                code,
                retry_after: regain.or(retry_after_header),
                message,
            }),
            other => other,
        }
    }

    /// Records usage headers and the API version; returns the longest
    /// time-to-regain-access reported.
    fn observe_headers(&self, headers: &HeaderMap) -> Option<Duration> {
        let now = self.clock.now();
        let version = headers
            .get(API_VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let mut state = self.lock();
        if let Some(version) = version {
            if state.api_version.as_deref() != Some(version.as_str())
                && version != self.config.api_version
            {
                tracing::warn!(answered = %version, pinned = %self.config.api_version, "Graph answered with another API version");
            }
            state.api_version = Some(version);
        }
        state.usage.record(headers, now)
    }

    /// The business object a URL on this client's base targets.
    fn target_of_url(&self, url: &Url) -> Option<String> {
        let base_path = Url::parse(&self.config.base_url)
            .map(|b| b.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        let path = url.path();
        let rest = path.strip_prefix(base_path.as_str()).unwrap_or(path);
        target_of_relative(rest)
    }
}

fn paused_error(object_id: &str, remaining: Duration) -> GraphError {
    GraphError::RateLimited {
        code: LOCAL_PAUSE_CODE,
        retry_after: Some(remaining),
        message: format!(
            "object {object_id} is paused by a business use case rate limit; not sent"
        ),
    }
}

fn strip_auth_params(url: &mut Url) {
    if url.query().is_none() {
        return;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "access_token" && k != "appsecret_proof")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
}
