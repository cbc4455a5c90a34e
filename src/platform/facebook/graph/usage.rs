//! Rate-limit usage headers, and what the client does about them.
//!
//! Facebook reports how much of a quota is used on every answer:
//! - `X-App-Usage` (and the legacy `X-Page-Usage`, same shape):
//!   `{"call_count":28,"total_time":25,"total_cputime":25}`, percents of the app's
//!   rolling quota;
//! - `X-Business-Use-Case-Usage`: per business object (a page, an ad account),
//!   `{"<id>":[{"type":"pages","call_count":1,"total_cputime":1,"total_time":1,
//!   "estimated_time_to_regain_access":0}]}`, where the last field is minutes.
//!
//! Throttling starts at 100 %, so the client slows down well before: from
//! `usage_slowdown_percent` on, every call first waits [`slowdown_delay`]. When a
//! business object reports a non-zero time to regain access, that object is
//! paused: calls that target it fail fast with a rate-limit error until the pause
//! ends, instead of burning more quota and extending the block.
//!
//! Readings older than [`USAGE_STALE_AFTER`] are ignored: a page that is no
//! longer called must not keep the whole client slowed down forever.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde_json::Value;

/// The wait added to every call at 100 % usage (see [`slowdown_delay`]).
pub const MAX_USAGE_DELAY: Duration = Duration::from_secs(5);
/// A usage reading not refreshed for this long no longer slows calls down.
pub const USAGE_STALE_AFTER: Duration = Duration::from_secs(10 * 60);
/// The longest pause honoured from `estimated_time_to_regain_access`.
pub const MAX_PAUSE: Duration = Duration::from_secs(24 * 3600);

pub const APP_USAGE_HEADER: &str = "x-app-usage";
pub const PAGE_USAGE_HEADER: &str = "x-page-usage";
pub const BUSINESS_USAGE_HEADER: &str = "x-business-use-case-usage";

/// One usage reading, in percent of quota (values above 100 happen).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsagePercent {
    pub call_count: f64,
    pub total_time: f64,
    pub total_cputime: f64,
}

impl UsagePercent {
    /// The highest of the three: the one that throttles first.
    pub fn max(&self) -> f64 {
        self.call_count.max(self.total_time).max(self.total_cputime)
    }

    fn from_value(v: &Value) -> Option<UsagePercent> {
        let obj = v.as_object()?;
        Some(UsagePercent {
            call_count: obj.get("call_count").and_then(number).unwrap_or(0.0),
            total_time: obj.get("total_time").and_then(number).unwrap_or(0.0),
            total_cputime: obj.get("total_cputime").and_then(number).unwrap_or(0.0),
        })
    }
}

/// One entry of `X-Business-Use-Case-Usage` for one object.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessUsage {
    /// The use case, e.g. `pages`.
    pub kind: String,
    pub usage: UsagePercent,
    /// From `estimated_time_to_regain_access` (minutes in the header).
    pub regain_access_in: Duration,
}

/// A number or a numeric string; NaN, infinities and negatives are ignored.
fn number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (n.is_finite() && n >= 0.0).then_some(n)
}

/// Parses `X-App-Usage` / `X-Page-Usage`. `None` for anything malformed.
pub fn parse_app_usage(header: &str) -> Option<UsagePercent> {
    let v: Value = serde_json::from_str(header).ok()?;
    UsagePercent::from_value(&v)
}

/// Parses `X-Business-Use-Case-Usage` into object id → entries. Malformed entries
/// are skipped; a malformed header gives `None`.
pub fn parse_business_usage(header: &str) -> Option<HashMap<String, Vec<BusinessUsage>>> {
    let v: Value = serde_json::from_str(header).ok()?;
    let obj = v.as_object()?;
    let mut out = HashMap::new();
    for (id, entries) in obj {
        let list: Vec<BusinessUsage> = match entries {
            Value::Array(items) => items.iter().filter_map(business_entry).collect(),
            other => business_entry(other).into_iter().collect(),
        };
        out.insert(id.clone(), list);
    }
    Some(out)
}

fn business_entry(v: &Value) -> Option<BusinessUsage> {
    let usage = UsagePercent::from_value(v)?;
    let minutes = v
        .get("estimated_time_to_regain_access")
        .and_then(number)
        .unwrap_or(0.0);
    Some(BusinessUsage {
        kind: v
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        usage,
        regain_access_in: Duration::from_secs_f64((minutes * 60.0).min(MAX_PAUSE.as_secs_f64())),
    })
}

/// The delay before a call when the highest usage is `percent` and the
/// slowdown threshold is `threshold` (both in percent):
///
/// ```text
/// percent < threshold  →  0
/// otherwise            →  MAX_USAGE_DELAY × (min(percent, 100) − threshold + 1) / (101 − threshold)
/// ```
///
/// So with the default threshold 75 the delay starts at 5 s / 26 ≈ 0.19 s at 75 %,
/// grows linearly, and reaches [`MAX_USAGE_DELAY`] (5 s) at 100 % and above. A
/// threshold above 100 disables the slowdown.
pub fn slowdown_delay(percent: f64, threshold: u32) -> Duration {
    if threshold > 100 || !percent.is_finite() {
        return Duration::ZERO;
    }
    let t = f64::from(threshold);
    if percent < t {
        return Duration::ZERO;
    }
    let steps = (percent.min(100.0) - t + 1.0) / (101.0 - t);
    MAX_USAGE_DELAY.mul_f64(steps.clamp(0.0, 1.0))
}

/// A copy of the latest usage the client has seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageSnapshot {
    pub app: Option<UsagePercent>,
    pub page: Option<UsagePercent>,
    pub business: HashMap<String, Vec<BusinessUsage>>,
}

/// What the tracker says about a call that is about to be sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Send it after waiting `delay`.
    Go { delay: Duration, percent: f64 },
    /// Do not send: `object_id` is paused for `remaining` more.
    Paused {
        object_id: String,
        remaining: Duration,
    },
}

#[derive(Debug, Clone)]
struct Reading<T> {
    value: T,
    at: Instant,
}

/// The latest usage and the paused objects: shared client state.
#[derive(Debug, Default)]
pub struct UsageTracker {
    app: Option<Reading<UsagePercent>>,
    page: Option<Reading<UsagePercent>>,
    business: HashMap<String, Reading<Vec<BusinessUsage>>>,
    paused: HashMap<String, Instant>,
}

impl UsageTracker {
    /// Records the usage headers of one answer. Returns the longest
    /// time-to-regain-access it reported, if any (for the error's `retry_after`).
    pub fn record(&mut self, headers: &HeaderMap, now: Instant) -> Option<Duration> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(u) = header(APP_USAGE_HEADER).and_then(parse_app_usage) {
            self.app = Some(Reading { value: u, at: now });
        }
        if let Some(u) = header(PAGE_USAGE_HEADER).and_then(parse_app_usage) {
            self.page = Some(Reading { value: u, at: now });
        }
        let mut longest: Option<Duration> = None;
        if let Some(map) = header(BUSINESS_USAGE_HEADER).and_then(parse_business_usage) {
            for (id, entries) in map {
                let regain = entries
                    .iter()
                    .map(|e| e.regain_access_in)
                    .max()
                    .unwrap_or(Duration::ZERO);
                if regain > Duration::ZERO {
                    self.paused.insert(id.clone(), now + regain);
                    longest = Some(longest.map_or(regain, |l| l.max(regain)));
                } else {
                    // The latest word on this object is "no block".
                    self.paused.remove(&id);
                }
                self.business.insert(
                    id,
                    Reading {
                        value: entries,
                        at: now,
                    },
                );
            }
        }
        longest
    }

    /// Decides about a call targeting `objects` (the path's object and, for a
    /// page token, the page): paused, or go after a slowdown delay.
    pub fn plan(&self, objects: &[&str], now: Instant, threshold: u32) -> Plan {
        for id in objects {
            if let Some(until) = self.paused.get(*id) {
                if *until > now {
                    return Plan::Paused {
                        object_id: id.to_string(),
                        remaining: *until - now,
                    };
                }
            }
        }
        let fresh = |at: Instant| now.saturating_duration_since(at) < USAGE_STALE_AFTER;
        let mut percent: f64 = 0.0;
        for r in [&self.app, &self.page].into_iter().flatten() {
            if fresh(r.at) {
                percent = percent.max(r.value.max());
            }
        }
        for id in objects {
            if let Some(r) = self.business.get(*id) {
                if fresh(r.at) {
                    for e in &r.value {
                        percent = percent.max(e.usage.max());
                    }
                }
            }
        }
        Plan::Go {
            delay: slowdown_delay(percent, threshold),
            percent,
        }
    }

    /// How long `object_id` stays paused, if it is.
    pub fn paused_for(&self, object_id: &str, now: Instant) -> Option<Duration> {
        self.paused
            .get(object_id)
            .filter(|until| **until > now)
            .map(|until| *until - now)
    }

    /// The latest readings.
    pub fn snapshot(&self) -> UsageSnapshot {
        UsageSnapshot {
            app: self.app.as_ref().map(|r| r.value),
            page: self.page.as_ref().map(|r| r.value),
            business: self
                .business
                .iter()
                .map(|(k, r)| (k.clone(), r.value.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn parses_the_doc_shapes() {
        let u = parse_app_usage(r#"{"call_count":28,"total_time":25,"total_cputime":25}"#).unwrap();
        assert_eq!(
            u,
            UsagePercent {
                call_count: 28.0,
                total_time: 25.0,
                total_cputime: 25.0
            }
        );
        assert_eq!(u.max(), 28.0);
        let b = parse_business_usage(
            r#"{"112233":[{"type":"pages","call_count":1,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0}]}"#,
        )
        .unwrap();
        assert_eq!(
            b["112233"],
            vec![BusinessUsage {
                kind: "pages".into(),
                usage: UsagePercent {
                    call_count: 1.0,
                    total_time: 1.0,
                    total_cputime: 1.0
                },
                regain_access_in: Duration::ZERO,
            }]
        );
    }

    #[test]
    fn malformed_headers_are_ignored() {
        for h in [
            "",
            "nope",
            "[]",
            "42",
            r#"{"call_count":"#,
            r#"{"call_count":1e400}"#,
        ] {
            assert_eq!(parse_app_usage(h), None, "{h}");
        }
        assert_eq!(parse_business_usage("[1,2]"), None);
        let b = parse_business_usage(r#"{"1":[7,{"call_count":"12","type":3}],"2":"x"}"#).unwrap();
        assert_eq!(b["1"].len(), 1);
        assert_eq!(b["1"][0].usage.call_count, 12.0);
        assert!(b["2"].is_empty());
        let u = parse_app_usage(r#"{"call_count":-5,"total_time":"abc","total_cputime":null}"#)
            .unwrap();
        assert_eq!(u.max(), 0.0);
    }

    #[test]
    fn slowdown_formula() {
        assert_eq!(slowdown_delay(74.9, 75), Duration::ZERO);
        assert_eq!(slowdown_delay(75.0, 75), MAX_USAGE_DELAY / 26);
        assert_eq!(slowdown_delay(100.0, 75), MAX_USAGE_DELAY);
        assert_eq!(slowdown_delay(250.0, 75), MAX_USAGE_DELAY);
        assert_eq!(slowdown_delay(0.0, 0), MAX_USAGE_DELAY / 101);
        assert_eq!(slowdown_delay(100.0, 101), Duration::ZERO);
        let mid = slowdown_delay(87.0, 75);
        assert!(mid > slowdown_delay(80.0, 75) && mid < slowdown_delay(95.0, 75));
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn tracker_pauses_objects_and_forgets_stale_usage() {
        let mut t = UsageTracker::default();
        let now = Instant::now();
        let longest = t.record(
            &headers(&[
                (APP_USAGE_HEADER, r#"{"call_count":90}"#),
                (
                    BUSINESS_USAGE_HEADER,
                    r#"{"42":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":3}],"43":[{"call_count":10}]}"#,
                ),
            ]),
            now,
        );
        assert_eq!(longest, Some(Duration::from_secs(180)));
        assert_eq!(
            t.plan(&["42"], now, 75),
            Plan::Paused {
                object_id: "42".into(),
                remaining: Duration::from_secs(180)
            }
        );
        assert_eq!(
            t.plan(&["43"], now, 75),
            Plan::Go {
                delay: slowdown_delay(90.0, 75),
                percent: 90.0
            }
        );
        let later = now + Duration::from_secs(181);
        assert!(matches!(t.plan(&["42"], later, 75), Plan::Go { .. }));
        let stale = now + USAGE_STALE_AFTER;
        assert_eq!(
            t.plan(&["43"], stale, 75),
            Plan::Go {
                delay: Duration::ZERO,
                percent: 0.0
            }
        );
        // A later "0 minutes" for the object lifts the pause at once.
        t.record(
            &headers(&[
                (APP_USAGE_HEADER, r#"{"call_count":90}"#),
                (
                    BUSINESS_USAGE_HEADER,
                    r#"{"42":[{"estimated_time_to_regain_access":5}]}"#,
                ),
            ]),
            now,
        );
        t.record(
            &headers(&[(
                BUSINESS_USAGE_HEADER,
                r#"{"42":[{"estimated_time_to_regain_access":0}]}"#,
            )]),
            now,
        );
        assert_eq!(t.paused_for("42", now), None);
    }
}
