//! Typed Graph errors.
//!
//! Facebook answers failures with `{"error":{"message","type","code",
//! "error_subcode","error_user_title","error_user_msg","fbtrace_id"}}`. What the
//! caller must *do* depends on the code, not on the HTTP status or the `type`
//! (code 32, a rate limit, comes typed `OAuthException` too), so errors are
//! classified by code first: a rate limit waits, a token error asks the owner to
//! authorise again, a transient error retries, a bad request is a bug to fix.
//!
//! Messages never contain tokens: URLs are redacted before they get here and
//! decoding errors never quote response values.

use std::time::Duration;

use serde::Deserialize;

use super::redact::redact_text;
use super::token::TokenOwner;

/// Graph error codes that mean "slow down": 4 (app), 17 (user), 32 (page, user
/// token), 613 (custom), 80001 (page, page token; business use case).
pub const RATE_LIMIT_CODES: &[i64] = &[4, 17, 32, 613, 80001];
/// Transient codes that Facebook says to retry: 1 (unknown), 2 (service).
pub const TRANSIENT_CODES: &[i64] = &[1, 2];
/// Authentication codes: the token is missing, expired, revoked or invalid.
pub const AUTH_CODES: &[i64] = &[102, 190, 450, 452, 2500];

/// The `error` object of a Graph error answer, as sent.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ApiError {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "de_lenient_i64")]
    pub code: Option<i64>,
    #[serde(default, deserialize_with = "de_lenient_i64")]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub error_user_title: Option<String>,
    #[serde(default)]
    pub error_user_msg: Option<String>,
    #[serde(default)]
    pub fbtrace_id: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    error: ApiError,
}

/// Codes sometimes arrive as strings; anything unusable becomes `None` rather
/// than failing the whole error body.
fn de_lenient_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// The Graph error in a body, if the body is one (`{"error":{...}}`).
pub fn parse_api_error(body: &[u8]) -> Option<ApiError> {
    serde_json::from_slice::<Envelope>(body)
        .ok()
        .map(|e| e.error)
}

/// The Graph error in an already-parsed value, if it is one.
pub fn api_error_from_value(value: &serde_json::Value) -> Option<ApiError> {
    let error = value.get("error")?;
    if !error.is_object() {
        return None;
    }
    serde_json::from_value::<ApiError>(error.clone()).ok()
}

/// Every way a Graph call can fail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// The token is invalid, expired or revoked (codes 102, 190 with subcodes
    /// 458/459/460/463/464/467, 450, 452, 2500). The owner must authorise again.
    #[error("Graph auth error {code}{} for {}: {message}", fmt_subcode(*subcode), fmt_owner(owner))]
    Auth {
        code: i64,
        subcode: Option<i64>,
        message: String,
        /// Whose token failed, when the call carried one.
        owner: Option<TokenOwner>,
    },
    /// The token lacks a permission (codes 10, 200–299).
    #[error("Graph permission error {code}: {message}")]
    Permission { code: i64, message: String },
    /// A rate limit (codes 4, 17, 32, 613, 80001), or a call refused locally
    /// because its object is paused by a business-use-case limit.
    #[error("Graph rate limit {code}{}: {message}", fmt_retry(*retry_after))]
    RateLimited {
        code: i64,
        /// How long until access returns, when Facebook said so.
        retry_after: Option<Duration>,
        message: String,
    },
    /// A bad parameter (code 100) or another 4xx answer. Not retried: fix the call.
    #[error("Graph bad request (HTTP {status}, code {}): {message}", fmt_code(*code))]
    BadRequest {
        status: u16,
        code: Option<i64>,
        subcode: Option<i64>,
        message: String,
    },
    /// A transient Graph error (codes 1, 2); retried.
    #[error("Graph transient error {code}: {message}")]
    Transient { code: i64, message: String },
    /// An error this client does not recognise (a 5xx is retried).
    #[error("Graph error (HTTP {status}, code {}): {message}", fmt_code(*code))]
    Unknown {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// Connection refused, reset, DNS failure, TLS failure...; retried.
    #[error("Graph network error: {message}")]
    Network { message: String },
    /// Connect or total timeout; retried.
    #[error("Graph timeout: {message}")]
    Timeout { message: String },
    /// The answer was not the JSON expected. Never panics, never quotes values.
    #[error("Graph answer could not be decoded: {message}")]
    Decode { message: String },
    /// `paging.next` was still present after `max_pages` pages.
    #[error("Graph paging stopped after {pages} pages (safety cap)")]
    PagingCapExceeded { pages: usize },
    /// The call could not even be built: a malformed id or URL, a bad client setup.
    #[error("invalid Graph request: {message}")]
    InvalidRequest { message: String },
}

fn fmt_subcode(s: Option<i64>) -> String {
    s.map(|s| format!("/{s}")).unwrap_or_default()
}
fn fmt_owner(o: &Option<TokenOwner>) -> String {
    o.as_ref()
        .map(|o| o.to_string())
        .unwrap_or_else(|| "unknown owner".into())
}
fn fmt_retry(r: Option<Duration>) -> String {
    r.map(|r| format!(" (retry after {}s)", r.as_secs()))
        .unwrap_or_default()
}
fn fmt_code(c: Option<i64>) -> String {
    c.map(|c| c.to_string()).unwrap_or_else(|| "none".into())
}

impl GraphError {
    /// Classifies a Graph error body received with HTTP `status`.
    pub fn from_api(status: u16, api: &ApiError) -> GraphError {
        let message = redact_text(
            api.message
                .as_deref()
                .unwrap_or("(no message)")
                .chars()
                .take(500)
                .collect::<String>()
                .as_str(),
        );
        let code = api.code;
        match code {
            Some(c) if RATE_LIMIT_CODES.contains(&c) => GraphError::RateLimited {
                code: c,
                retry_after: None,
                message,
            },
            Some(c) if TRANSIENT_CODES.contains(&c) => GraphError::Transient { code: c, message },
            Some(c) if AUTH_CODES.contains(&c) => GraphError::Auth {
                code: c,
                subcode: api.error_subcode,
                message,
                owner: None,
            },
            Some(c) if c == 10 || (200..=299).contains(&c) => {
                GraphError::Permission { code: c, message }
            }
            Some(100) => GraphError::BadRequest {
                status,
                code,
                subcode: api.error_subcode,
                message,
            },
            _ if (400..500).contains(&status) => GraphError::BadRequest {
                status,
                code,
                subcode: api.error_subcode,
                message,
            },
            _ => GraphError::Unknown {
                status,
                code,
                message,
            },
        }
    }

    /// Classifies a failed HTTP answer (status not 2xx) from its raw body: a Graph
    /// error when the body is one, otherwise by status alone.
    pub fn from_response(status: u16, body: &[u8]) -> GraphError {
        if let Some(api) = parse_api_error(body) {
            return GraphError::from_api(status, &api);
        }
        let message = format!("HTTP {status} without a Graph error body");
        if (400..500).contains(&status) {
            GraphError::BadRequest {
                status,
                code: None,
                subcode: None,
                message,
            }
        } else {
            GraphError::Unknown {
                status,
                code: None,
                message,
            }
        }
    }

    /// A decoding failure, described without quoting any response value (a value
    /// may be a token).
    pub fn decode(what: &str, err: &serde_json::Error) -> GraphError {
        GraphError::Decode {
            message: format!("{what}: {}", describe_serde_error(err)),
        }
    }

    /// True for errors that mean the token itself is bad: its owner must
    /// authorise again.
    pub fn is_token_error(&self) -> bool {
        matches!(self, GraphError::Auth { .. })
    }

    /// True for failures worth retrying: network errors and timeouts, HTTP 5xx,
    /// transient codes 1 and 2, and rate limits.
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Network { .. }
            | GraphError::Timeout { .. }
            | GraphError::Transient { .. }
            | GraphError::RateLimited { .. } => true,
            GraphError::Unknown { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// True for failures a queued job should try again later, with its own backoff:
    /// everything [`is_retryable`](Self::is_retryable) plus answers that could not
    /// be decoded (an HTML error page from a proxy, a truncated body). The client
    /// does not repeat those at once, but they rarely persist.
    pub fn is_retryable_later(&self) -> bool {
        self.is_retryable() || matches!(self, GraphError::Decode { .. })
    }

    /// The Graph error code, when there is one.
    pub fn code(&self) -> Option<i64> {
        match self {
            GraphError::Auth { code, .. }
            | GraphError::Permission { code, .. }
            | GraphError::RateLimited { code, .. }
            | GraphError::Transient { code, .. } => Some(*code),
            GraphError::BadRequest { code, .. } | GraphError::Unknown { code, .. } => *code,
            _ => None,
        }
    }

    /// A short stable label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            GraphError::Auth { .. } => "auth",
            GraphError::Permission { .. } => "permission",
            GraphError::RateLimited { .. } => "rate_limited",
            GraphError::BadRequest { .. } => "bad_request",
            GraphError::Transient { .. } => "transient",
            GraphError::Unknown { .. } => "unknown",
            GraphError::Network { .. } => "network",
            GraphError::Timeout { .. } => "timeout",
            GraphError::Decode { .. } => "decode",
            GraphError::PagingCapExceeded { .. } => "paging_cap",
            GraphError::InvalidRequest { .. } => "invalid_request",
        }
    }

    /// Records whose token failed on an auth error (no-op for other errors).
    pub(crate) fn with_owner(mut self, who: Option<&TokenOwner>) -> GraphError {
        if let GraphError::Auth { owner, .. } = &mut self {
            if owner.is_none() {
                *owner = who.cloned();
            }
        }
        self
    }
}

/// serde_json's messages may quote the offending value (`invalid type: string
/// "EAAB..."`). Keep the category, position and field names, drop quoted values.
fn describe_serde_error(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let mut out = String::with_capacity(text.len());
    let mut in_quotes = false;
    for c in text.chars() {
        if c == '"' {
            if in_quotes {
                out.push_str("…\"");
            } else {
                out.push('"');
            }
            in_quotes = !in_quotes;
        } else if !in_quotes {
            out.push(c);
        }
    }
    redact_text(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn classify(status: u16, body: serde_json::Value) -> GraphError {
        GraphError::from_response(status, body.to_string().as_bytes())
    }

    #[test]
    fn doc_rate_limit_example() {
        let e = classify(
            400,
            json!({"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32,"fbtrace_id":"Fz54k3GZrio"}}),
        );
        assert_eq!(
            e,
            GraphError::RateLimited {
                code: 32,
                retry_after: None,
                message: "(#32) Page request limit reached".into()
            }
        );
        assert!(e.is_retryable());
        assert!(!e.is_token_error());
    }

    #[test]
    fn every_code_family() {
        for code in [4, 17, 32, 613, 80001] {
            let e = classify(400, json!({"error":{"code":code,"message":"m"}}));
            assert!(matches!(e, GraphError::RateLimited { .. }), "{code}: {e:?}");
            assert!(e.is_retryable());
        }
        for code in [1, 2] {
            let e = classify(500, json!({"error":{"code":code,"message":"m"}}));
            assert!(matches!(e, GraphError::Transient { .. }), "{code}: {e:?}");
            assert!(e.is_retryable());
        }
        for (code, sub) in [
            (190, Some(458)),
            (190, Some(459)),
            (190, Some(460)),
            (190, Some(463)),
            (190, Some(464)),
            (190, Some(467)),
            (190, None),
            (102, None),
            (450, None),
            (452, None),
            (2500, None),
        ] {
            let e = classify(
                400,
                json!({"error":{"code":code,"error_subcode":sub,"type":"OAuthException","message":"m"}}),
            );
            assert_eq!(
                e,
                GraphError::Auth {
                    code,
                    subcode: sub,
                    message: "m".into(),
                    owner: None
                }
            );
            assert!(e.is_token_error());
            assert!(!e.is_retryable());
        }
        for code in [10, 200, 230, 299] {
            let e = classify(403, json!({"error":{"code":code,"message":"m"}}));
            assert!(matches!(e, GraphError::Permission { .. }), "{code}: {e:?}");
            assert!(!e.is_retryable());
        }
        let e = classify(
            400,
            json!({"error":{"code":100,"error_subcode":33,"message":"m"}}),
        );
        assert_eq!(
            e,
            GraphError::BadRequest {
                status: 400,
                code: Some(100),
                subcode: Some(33),
                message: "m".into()
            }
        );
        assert!(!e.is_retryable());
        // The doc's code exchange example: 191 is "another 4xx".
        let e = classify(
            400,
            json!({"error":{"message":"redirect_uri isn't an absolute URI. Check RFC 3986.","code":191,"type":"OAuthException","fbtrace_id":"123Abc"}}),
        );
        assert!(
            matches!(
                e,
                GraphError::BadRequest {
                    code: Some(191),
                    ..
                }
            ),
            "{e:?}"
        );
        let e = classify(500, json!({"error":{"code":12345,"message":"m"}}));
        assert!(matches!(e, GraphError::Unknown { status: 500, .. }));
        assert!(e.is_retryable());
        let e = classify(200, json!({"error":{"code":12345,"message":"m"}}));
        assert!(matches!(e, GraphError::Unknown { status: 200, .. }));
        assert!(!e.is_retryable());
    }

    #[test]
    fn garbage_bodies_classify_by_status_without_panicking() {
        let bodies: [&[u8]; 7] = [
            b"",
            b"<html>502 Bad Gateway</html>",
            b"{\"error\":",
            b"{\"error\":\"string\"}",
            b"{\"error\":{\"code\":\"abc\"}}",
            b"\xff\xfe\x00",
            b"null",
        ];
        for body in bodies {
            let e = GraphError::from_response(502, body);
            assert!(e.is_retryable(), "{e:?}");
            let e = GraphError::from_response(404, body);
            assert!(matches!(e, GraphError::BadRequest { .. }), "{e:?}");
        }
        // A string code is still understood.
        let e = GraphError::from_response(400, br#"{"error":{"code":"190"}}"#);
        assert!(e.is_token_error());
    }

    #[test]
    fn decode_errors_do_not_quote_values() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct T {
            n: i64,
        }
        let err = serde_json::from_str::<T>(r#"{"n":"EAABsecrettoken"}"#).unwrap_err();
        let e = GraphError::decode("token answer", &err);
        let text = e.to_string();
        assert!(!text.contains("EAAB"), "{text}");
        assert!(text.contains("invalid type"), "{text}");
    }

    #[test]
    fn auth_error_names_the_owner() {
        let e = classify(
            400,
            json!({"error":{"code":190,"error_subcode":463,"message":"expired"}}),
        )
        .with_owner(Some(&TokenOwner::Page("42".into())));
        assert_eq!(
            e.to_string(),
            "Graph auth error 190/463 for page 42: expired"
        );
    }
}
