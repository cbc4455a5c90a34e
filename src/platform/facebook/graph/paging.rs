//! Following `paging.next` to the end.
//!
//! List edges answer `{"data":[…],"paging":{"cursors":{…},"next":"<absolute URL>"}}`
//! and comments come 25 per page by default, so stopping after the first page
//! silently loses entries. A page may hold fewer items than asked, even none,
//! while more follow (Facebook filters after paging), so only the absence of
//! `next` ends the walk; `max_pages` guards against an endless one.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::client::{Call, GraphClient};
use super::error::GraphError;
use super::redact::redact_url;
use super::response::decode_value;
use super::token::AccessToken;

/// One page of a list edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub data: Vec<Value>,
    /// `paging.next`, when more pages follow.
    pub next: Option<String>,
}

/// Splits a list answer into its items and `paging.next`.
pub fn parse_page(value: Value) -> Result<Page, GraphError> {
    let Value::Object(mut obj) = value else {
        return Err(GraphError::Decode {
            message: "a list answer must be a JSON object".into(),
        });
    };
    let data = match obj.remove("data") {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => Vec::new(),
        Some(_) => {
            return Err(GraphError::Decode {
                message: "`data` of a list answer must be an array".into(),
            })
        }
    };
    let next = obj
        .get("paging")
        .and_then(|p| p.get("next"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok(Page { data, next })
}

impl GraphClient {
    /// Every item of a list edge: `GET path?params`, then `paging.next` until it
    /// is absent. Each page is sent with the token and a fresh `appsecret_proof`
    /// (the `next` URL carries the token but not always the proof). A `next` URL
    /// off the configured Graph origin is refused, so a token is never sent
    /// elsewhere. More than `max_pages` pages is [`GraphError::PagingCapExceeded`].
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
        token: &AccessToken,
    ) -> Result<Vec<T>, GraphError> {
        let max_pages = self.config().max_pages.max(1);
        let mut url = self.endpoint(path, params)?;
        let mut items = Vec::new();
        let mut pages = 0usize;
        loop {
            let value = self
                .execute(Call::new(Method::GET, url.clone(), Some(token)))
                .await?;
            pages += 1;
            let page = parse_page(value)?;
            for item in page.data {
                items.push(decode_value::<T>(item, path)?);
            }
            let Some(next) = page.next else {
                return Ok(items);
            };
            if pages >= max_pages {
                tracing::warn!(path, pages, "Graph paging stopped at the safety cap");
                return Err(GraphError::PagingCapExceeded { pages });
            }
            let next = Url::parse(&next).map_err(|_| GraphError::Decode {
                message: "paging.next is not an absolute URL".into(),
            })?;
            if !self.same_origin(&next) {
                return Err(GraphError::Decode {
                    message: format!(
                        "paging.next points off the Graph origin: {}",
                        redact_url(&next)
                    ),
                });
            }
            url = next;
        }
    }
}
