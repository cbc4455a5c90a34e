//! OAuth calls: code exchange, long-lived tokens and token inspection. These
//! authenticate with the app's `client_secret` (exchange) or the app token
//! (`debug_token`); the secrets travel in query parameters that are always
//! redacted from logs and errors.

use reqwest::Method;

use super::client::{Call, GraphClient};
use super::error::GraphError;
use super::response::decode_value;
use super::token::AccessToken;
use super::types::{DebugToken, TokenResponse};
use crate::config::Secret;

impl GraphClient {
    /// Exchanges a Login dialog `code` for a user token:
    /// `GET oauth/access_token?client_id&redirect_uri&client_secret&code`.
    /// `redirect_uri` must equal the one given to the dialog.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<TokenResponse, GraphError> {
        let config = self.config();
        let url = self.endpoint(
            "oauth/access_token",
            &[
                ("client_id", config.app_id.as_str()),
                ("redirect_uri", redirect_uri),
                ("client_secret", config.app_secret.expose()),
                ("code", code),
            ],
        )?;
        let value = self.execute(Call::new(Method::GET, url, None)).await?;
        decode_value(value, "oauth/access_token")
    }

    /// Exchanges a short-lived user token for a long-lived one (about 60 days):
    /// `GET oauth/access_token?grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token`.
    /// A rejected token is blamed on `short_token`'s owner (and reported to the hook).
    pub async fn exchange_long_lived(
        &self,
        short_token: &AccessToken,
    ) -> Result<TokenResponse, GraphError> {
        let config = self.config();
        let url = self.endpoint(
            "oauth/access_token",
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", config.app_id.as_str()),
                ("client_secret", config.app_secret.expose()),
                ("fb_exchange_token", short_token.value.expose()),
            ],
        )?;
        let mut call = Call::new(Method::GET, url, None);
        call.blame = Some(&short_token.owner);
        let value = self.execute(call).await?;
        decode_value(value, "oauth/access_token")
    }

    /// Inspects a token with the app token:
    /// `GET debug_token?input_token=…&access_token=<app_id>|<app_secret>` → `data`.
    /// An invalid input token is a normal answer (`is_valid: false`), not an error.
    pub async fn debug_token(&self, input_token: &Secret) -> Result<DebugToken, GraphError> {
        let app = self.app_token();
        let mut answer: serde_json::Value = self
            .get(
                "debug_token",
                &[("input_token", input_token.expose())],
                &app,
            )
            .await?;
        let data = answer
            .get_mut("data")
            .map(serde_json::Value::take)
            .ok_or_else(|| GraphError::Decode {
                message: "debug_token answer has no `data`".into(),
            })?;
        decode_value(data, "debug_token")
    }
}
