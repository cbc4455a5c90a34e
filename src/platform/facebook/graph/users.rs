//! Calls made with a user token: the user's profile, the pages they manage and
//! their friend count (a reach signal, never a contest requirement).

use serde_json::Value;

use super::client::GraphClient;
use super::error::GraphError;
use super::response::decode_value;
use super::token::AccessToken;
use super::types::{friends_total, Me, PageAccount};

impl GraphClient {
    /// `GET me?fields=…` (for example `["id","name","email"]`).
    pub async fn me(&self, token: &AccessToken, fields: &[&str]) -> Result<Me, GraphError> {
        let fields = fields.join(",");
        let params: Vec<(&str, &str)> = if fields.is_empty() {
            Vec::new()
        } else {
            vec![("fields", fields.as_str())]
        };
        let value: Value = self.get("me", &params, token).await?;
        decode_value(value, "me")
    }

    /// Every page the user manages, with its page token and tasks:
    /// `GET me/accounts?fields=id,name,access_token,tasks`, all pages of the list.
    pub async fn accounts(&self, user_token: &AccessToken) -> Result<Vec<PageAccount>, GraphError> {
        self.get_all(
            "me/accounts",
            &[("fields", "id,name,access_token,tasks")],
            user_token,
        )
        .await
    }

    /// The user's total friend count from `GET me/friends` (`summary.total_count`,
    /// needs the `user_friends` scope). `None` when there is no summary or the
    /// permission is missing: the count is a nice-to-have, not worth failing over.
    pub async fn friends_count(&self, user_token: &AccessToken) -> Result<Option<i64>, GraphError> {
        match self
            .get::<Value>("me/friends", &[("limit", "0")], user_token)
            .await
        {
            Ok(answer) => Ok(friends_total(&answer)),
            Err(GraphError::Permission { code, .. }) => {
                tracing::debug!(code, "no user_friends permission; friend count unknown");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
