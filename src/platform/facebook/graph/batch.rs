//! Batch requests: many Graph calls in one HTTP request.
//!
//! `POST {base}/{version}/` with the form field `batch=[{"method","relative_url"},…]`
//! (at most [`MAX_BATCH`] per request, each still counted against rate limits).
//! The answer is an array in request order of
//! `{"code":200,"headers":[…],"body":"<JSON as a string>"}`; a failed item carries
//! its own Graph error in `body`, and an item that was not run is `null`. One
//! bad item therefore never fails its neighbours.

use std::collections::HashSet;

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::client::{Call, GraphClient};
use super::error::{api_error_from_value, GraphError};
use super::redact::redact_text;
use super::token::{AccessToken, TokenOwner};

/// Facebook's limit of requests in one batch.
pub const MAX_BATCH: usize = 50;

/// The HTTP method of one batched request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BatchMethod {
    Get,
    Post,
    Delete,
}

/// One request in a batch. `relative_url` is relative to the version, e.g.
/// `123_456?fields=shares`, and must not carry a token: the batch's token applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchRequest {
    pub method: BatchMethod,
    pub relative_url: String,
}

impl BatchRequest {
    pub fn get(relative_url: impl Into<String>) -> Self {
        BatchRequest {
            method: BatchMethod::Get,
            relative_url: relative_url.into(),
        }
    }
}

/// Decodes one item of a batch answer.
pub fn decode_item(item: &Value) -> Result<Value, GraphError> {
    let obj = match item {
        Value::Null => {
            return Err(GraphError::Unknown {
                status: 0,
                code: None,
                message: "batch item not run (null answer)".into(),
            })
        }
        Value::Object(obj) => obj,
        _ => {
            return Err(GraphError::Decode {
                message: "batch item is not an object".into(),
            })
        }
    };
    let status = obj
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(0);
    let body = match obj.get("body") {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok(),
        // Tolerate an already-decoded body.
        Some(v @ (Value::Object(_) | Value::Array(_))) => Some(v.clone()),
        _ => None,
    };
    if let Some(api) = body.as_ref().and_then(api_error_from_value) {
        return Err(GraphError::from_api(status, &api));
    }
    if !(200..300).contains(&status) {
        let raw = body.map(|b| b.to_string()).unwrap_or_default();
        return Err(GraphError::from_response(status, raw.as_bytes()));
    }
    body.ok_or_else(|| GraphError::Decode {
        message: "batch item body is not JSON".into(),
    })
}

impl GraphClient {
    /// Runs `requests` as batches of at most [`MAX_BATCH`], one HTTP request per
    /// chunk, and returns one result per request, in request order. Items whose
    /// object is paused by a business-use-case limit are refused locally and not
    /// sent. The outer error is for a failure of a whole HTTP request (network,
    /// token, rate limit); per-item failures are the inner errors. An auth error
    /// on any item also calls the token-error hook (once per chunk). Failed items
    /// are not retried here: a caller such as the reach refresh simply tries
    /// them again on its next run.
    pub async fn batch(
        &self,
        requests: Vec<BatchRequest>,
        token: &AccessToken,
    ) -> Result<Vec<Result<Value, GraphError>>, GraphError> {
        let mut results: Vec<Result<Value, GraphError>> = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(MAX_BATCH) {
            results.extend(self.batch_chunk(chunk, token).await?);
        }
        Ok(results)
    }

    async fn batch_chunk(
        &self,
        chunk: &[BatchRequest],
        token: &AccessToken,
    ) -> Result<Vec<Result<Value, GraphError>>, GraphError> {
        let mut out: Vec<Option<Result<Value, GraphError>>> = vec![None; chunk.len()];
        let mut to_send: Vec<(usize, &BatchRequest)> = Vec::new();
        for (i, req) in chunk.iter().enumerate() {
            match self.paused_target(&req.relative_url) {
                Some(err) => out[i] = Some(Err(err)),
                None => to_send.push((i, req)),
            }
        }
        if !to_send.is_empty() {
            let payload: Vec<&BatchRequest> = to_send.iter().map(|(_, r)| *r).collect();
            let batch_json =
                serde_json::to_string(&payload).map_err(|e| GraphError::InvalidRequest {
                    message: format!("could not encode the batch: {e}"),
                })?;
            let url = self.endpoint("", &[])?;
            let mut call = Call::new(Method::POST, url, Some(token));
            call.form = Some(vec![
                ("batch".into(), batch_json),
                ("include_headers".into(), "false".into()),
            ]);
            let answer = self.execute(call).await?;
            let items = match answer {
                Value::Array(items) => items,
                _ => {
                    return Err(GraphError::Decode {
                        message: "a batch answer must be a JSON array".into(),
                    })
                }
            };
            let mismatch = items.len() != to_send.len();
            let mut reported = HashSet::new();
            for (k, (i, req)) in to_send.iter().enumerate() {
                let result = if mismatch {
                    Err(GraphError::Decode {
                        message: format!(
                            "batch answer has {} items for {} requests",
                            items.len(),
                            to_send.len()
                        ),
                    })
                } else {
                    decode_item(&items[k])
                        .map_err(|e| e.with_owner(Some(&token.owner)))
                        .inspect_err(|e| {
                            tracing::debug!(relative_url = %redact_text(&req.relative_url), error = %e, "batch item failed");
                        })
                };
                if let Err(e) = &result {
                    self.report_item_token_error(&token.owner, e, &mut reported);
                }
                out[*i] = Some(result);
            }
        }
        Ok(out
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(GraphError::Decode {
                        message: "batch item lost".into(),
                    })
                })
            })
            .collect())
    }

    fn report_item_token_error(
        &self,
        owner: &TokenOwner,
        err: &GraphError,
        reported: &mut HashSet<TokenOwner>,
    ) {
        if err.is_token_error() && reported.insert(owner.clone()) {
            self.report_token_error(Some(owner), err);
        }
    }
}
