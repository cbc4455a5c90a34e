//! Post-level reads: reach counters (singly and in batches), every comment, and
//! insights metrics.

use serde_json::Value;

use super::batch::BatchRequest;
use super::client::GraphClient;
use super::error::GraphError;
use super::target::check_id;
use super::token::AccessToken;
use super::types::{insight_value, Comment, PostReach};

/// The fields that give [`PostReach`] without downloading reactions or comments.
pub const REACH_FIELDS: &str =
    "shares,reactions.summary(total_count).limit(0),comments.summary(true).limit(0)";

/// The fields asked for each comment.
pub const COMMENT_FIELDS: &str = "id,from,message,created_time,parent";

impl GraphClient {
    /// Shares, reactions and comments of a post in one call.
    pub async fn post_reach(
        &self,
        post_id: &str,
        token: &AccessToken,
    ) -> Result<PostReach, GraphError> {
        let post = check_id(post_id)?;
        let answer: Value = self.get(post, &[("fields", REACH_FIELDS)], token).await?;
        Ok(PostReach::from_value(&answer))
    }

    /// Every comment of a post, following paging to the end (25 per page by
    /// default: stopping early would drop comment-to-enter entries). Uses
    /// `filter=stream`, so replies come too, flat and chronological, with
    /// `parent` set.
    pub async fn post_comments_all(
        &self,
        post_id: &str,
        token: &AccessToken,
    ) -> Result<Vec<Comment>, GraphError> {
        let post = check_id(post_id)?;
        self.get_all(
            &format!("{post}/comments"),
            &[("fields", COMMENT_FIELDS), ("filter", "stream")],
            token,
        )
        .await
    }

    /// One insights metric of a post (`GET {post}/insights?metric=…`), its latest
    /// value. Metric names change between Graph versions, so an unknown metric
    /// (error code 100) is `Ok(None)`, never a failure of the caller; so is a
    /// non-integer value.
    pub async fn post_insight(
        &self,
        post_id: &str,
        metric: &str,
        token: &AccessToken,
    ) -> Result<Option<i64>, GraphError> {
        let post = check_id(post_id)?;
        let metric = check_id(metric)?;
        match self
            .get::<Value>(&format!("{post}/insights"), &[("metric", metric)], token)
            .await
        {
            Ok(answer) => Ok(insight_value(&answer, metric)),
            Err(GraphError::BadRequest {
                code: Some(100),
                message,
                ..
            }) => {
                tracing::info!(metric, %message, "insights metric not available; skipped");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// [`post_reach`](Self::post_reach) for many posts through [`batch`](Self::batch):
    /// 50 posts per HTTP request, so 1,000 posts take 20 requests. Results are
    /// in `post_ids` order; a malformed id or a failed item fails only itself.
    pub async fn reach_batch(
        &self,
        post_ids: &[String],
        token: &AccessToken,
    ) -> Result<Vec<(String, Result<PostReach, GraphError>)>, GraphError> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("fields", REACH_FIELDS)
            .finish();
        let mut results: Vec<Option<Result<PostReach, GraphError>>> = vec![None; post_ids.len()];
        let mut requests = Vec::new();
        let mut slots = Vec::new();
        for (i, id) in post_ids.iter().enumerate() {
            match check_id(id) {
                Ok(id) => {
                    requests.push(BatchRequest::get(format!("{id}?{query}")));
                    slots.push(i);
                }
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        let answers = self.batch(requests, token).await?;
        for (slot, answer) in slots.into_iter().zip(answers) {
            results[slot] = Some(answer.map(|v| PostReach::from_value(&v)));
        }
        Ok(post_ids
            .iter()
            .cloned()
            .zip(results.into_iter().map(|r| {
                r.unwrap_or_else(|| {
                    Err(GraphError::Decode {
                        message: "batch answer missing".into(),
                    })
                })
            }))
            .collect())
    }
}
