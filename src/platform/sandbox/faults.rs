//! Fault knobs: added latency, error rates, rate limits and usage headers. Set from
//! `[sandbox]` config at start and at runtime through `POST /sandbox/admin/faults`.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::config::SandboxSettings;

/// What a failing call looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// HTTP 500 with the transient code 2.
    #[default]
    ServerError,
    /// HTTP 429 carrying the application rate-limit code 4.
    TooManyRequests,
    /// Never answers within any sane client timeout.
    Timeout,
    /// HTTP 200 with a body that is not JSON.
    Garbage,
    /// Error 190 (subcode 460): every token is treated as invalidated.
    InvalidToken,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Added to every Graph request.
    pub latency_ms: u64,
    /// Fraction of calls (batch items included) that fail with `error_kind`.
    pub error_rate: f64,
    pub error_kind: ErrorKind,
    /// Fraction of calls answered with the rate-limit error code 4 and 100% usage.
    pub rate_limit_rate: f64,
    /// `call_count` percent reported in `X-App-Usage` and `X-Business-Use-Case-Usage`.
    pub usage_percent: u32,
    /// `estimated_time_to_regain_access` (minutes) reported for page objects.
    pub regain_minutes: u32,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: 0,
            error_rate: 0.0,
            error_kind: ErrorKind::ServerError,
            rate_limit_rate: 0.0,
            usage_percent: 0,
            regain_minutes: 0,
        }
    }
}

/// The fault chosen for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    Error(ErrorKind),
    RateLimited,
}

impl Faults {
    pub fn from_settings(s: &SandboxSettings) -> Faults {
        Faults {
            latency_ms: s.latency_ms,
            error_rate: s.error_rate,
            rate_limit_rate: s.rate_limit_rate,
            usage_percent: s.usage_percent,
            ..Faults::default()
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("error_rate", self.error_rate),
            ("rate_limit_rate", self.rate_limit_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be within 0..=1"));
            }
        }
        if self.latency_ms > 120_000 {
            return Err("latency_ms must be at most 120000".into());
        }
        Ok(())
    }

    /// Rolls the dice for one call.
    pub fn pick(&self) -> Option<Injected> {
        let mut rng = rand::thread_rng();
        if self.error_rate > 0.0 && rng.gen::<f64>() < self.error_rate {
            return Some(Injected::Error(self.error_kind));
        }
        if self.rate_limit_rate > 0.0 && rng.gen::<f64>() < self.rate_limit_rate {
            return Some(Injected::RateLimited);
        }
        None
    }
}
