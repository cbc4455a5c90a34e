//! Reading an answer: the body (bounded), transport failures without the URL
//! reqwest would print (it holds the token), and the status/body classification
//! into a JSON value or a typed [`GraphError`].

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{api_error_from_value, parse_api_error, GraphError};
use super::redact::redact_text;

/// The largest answer body read; anything bigger is a [`GraphError::Decode`].
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Decodes a JSON value into `T`, describing failures without quoting values.
pub(crate) fn decode_value<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, GraphError> {
    serde_json::from_value(value).map_err(|e| GraphError::decode(&redact_text(what), &e))
}

/// Turns a status and body into a JSON value or a typed error. A 2xx body that
/// holds a Graph error is an error too.
pub(crate) fn classify(status: u16, body: &[u8], shown: &str) -> Result<Value, GraphError> {
    if !(200..300).contains(&status) {
        if status == 429 && parse_api_error(body).is_none() {
            return Err(GraphError::RateLimited {
                code: 4,
                retry_after: None,
                message: "HTTP 429 Too Many Requests".into(),
            });
        }
        return Err(GraphError::from_response(status, body));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| GraphError::decode(&format!("answer to {shown}"), &e))?;
    match api_error_from_value(&value) {
        Some(api) => Err(GraphError::from_api(status, &api)),
        None => Ok(value),
    }
}

/// A transport failure as a typed error, without the URL reqwest would print
/// (it holds the token): the redacted URL and the cause chain instead.
pub(crate) fn transport_error(err: reqwest::Error, shown: &str) -> GraphError {
    let timeout = err.is_timeout();
    let message = redact_text(&format!("{shown}: {}", error_chain(&err.without_url())));
    if timeout {
        GraphError::Timeout { message }
    } else {
        GraphError::Network { message }
    }
}

pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

pub(crate) async fn read_body(
    mut response: reqwest::Response,
    shown: &str,
) -> Result<Vec<u8>, GraphError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(GraphError::Decode {
                        message: format!("answer to {shown} exceeds {MAX_BODY_BYTES} bytes"),
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(transport_error(e, shown)),
        }
    }
}

/// `Retry-After: <seconds>`, when a server sends it (Facebook rarely does).
pub(crate) fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s.min(super::usage::MAX_PAUSE.as_secs())))
}
