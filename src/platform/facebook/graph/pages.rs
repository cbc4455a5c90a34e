//! Page subscriptions: webhooks arrive only for fields subscribed both for the
//! app and for each page, so onboarding subscribes the page and reconciliation
//! lists what is subscribed.

use serde_json::Value;

use super::client::GraphClient;
use super::error::GraphError;
use super::target::check_id;
use super::token::AccessToken;
use super::types::{success_flag, SubscribedApp};

impl GraphClient {
    /// `POST {page}/subscribed_apps?subscribed_fields=feed,mention` with the page
    /// token. Accepts `{"success":true}` as well as `true`/`"true"`; returns the flag.
    pub async fn subscribe_app(
        &self,
        page_id: &str,
        page_token: &AccessToken,
        fields: &[&str],
    ) -> Result<bool, GraphError> {
        let page = check_id(page_id)?;
        let fields = fields.join(",");
        let answer: Value = self
            .post(
                &format!("{page}/subscribed_apps"),
                &[("subscribed_fields", fields.as_str())],
                page_token,
            )
            .await?;
        success_flag(&answer).ok_or_else(|| GraphError::Decode {
            message: "subscribed_apps answer has no success flag".into(),
        })
    }

    /// `GET {page}/subscribed_apps`: the apps subscribed to the page and their fields.
    pub async fn subscribed_apps(
        &self,
        page_id: &str,
        page_token: &AccessToken,
    ) -> Result<Vec<SubscribedApp>, GraphError> {
        let page = check_id(page_id)?;
        self.get_all(&format!("{page}/subscribed_apps"), &[], page_token)
            .await
    }
}
