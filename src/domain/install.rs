//! Page installation: what happens when a page admin signs in with Facebook.
//!
//! The code is exchanged and upgraded to a long-lived user token; `/me` and
//! `/me/accounts` tell who the admin is and which pages they manage; the admin and
//! every page are stored (tokens encrypted at rest), and each page is subscribed to
//! `feed` and `mention` webhooks with the result recorded. Re-installing updates
//! the same rows and never duplicates them.

use chrono::{Duration, Utc};

use crate::db::{admins, pages};
use crate::error::AppError;
use crate::platform::facebook::graph::{AccessToken, GraphError, TokenOwner};
use crate::state::AppState;

pub const ADMIN_SCOPES: &str =
    "pages_show_list,pages_manage_metadata,pages_read_engagement,pages_read_user_content";
pub const WEBHOOK_FIELDS: &[&str] = &["feed", "mention"];

/// Why an install failed, in words for the admin.
#[derive(Debug)]
pub enum InstallError {
    CodeUsed,
    CodeRejected(String),
    Platform(GraphError),
    Internal(AppError),
}

impl From<AppError> for InstallError {
    fn from(e: AppError) -> Self {
        InstallError::Internal(e)
    }
}

pub struct Installed {
    pub admin_id: i64,
    pub pages: usize,
}

pub async fn install(
    state: &AppState,
    code: &str,
    redirect_uri: &str,
) -> Result<Installed, InstallError> {
    let graph = &state.services.graph;
    let short = graph
        .exchange_code(code, redirect_uri)
        .await
        .map_err(|e| match &e {
            GraphError::BadRequest {
                subcode: Some(36009),
                ..
            } => InstallError::CodeUsed,
            GraphError::BadRequest { message, .. } => InstallError::CodeRejected(message.clone()),
            _ => InstallError::Platform(e),
        })?;
    // The owner is unknown until /me answers; the long-lived token is the one kept.
    let short_token = AccessToken {
        value: short.access_token,
        owner: TokenOwner::User(String::new()),
    };
    let long = graph
        .exchange_long_lived(&short_token)
        .await
        .map_err(InstallError::Platform)?;
    let mut user_token = AccessToken {
        value: long.access_token,
        owner: TokenOwner::User(String::new()),
    };
    let me = graph
        .me(&user_token, &["id", "name", "email"])
        .await
        .map_err(InstallError::Platform)?;
    user_token.owner = TokenOwner::User(me.id.clone());
    let accounts = graph
        .accounts(&user_token)
        .await
        .map_err(InstallError::Platform)?;

    let cipher = state.keys.tokens.clone();
    let user_enc = cipher.encrypt(user_token.value.expose(), &format!("admin:{}", me.id));
    let expires = long.expires_in.map(|s| Utc::now() + Duration::seconds(s));
    let (me_id, me_name, me_email) = (
        me.id.clone(),
        me.name.clone().unwrap_or_else(|| me.id.clone()),
        me.email.clone(),
    );
    let page_rows: Vec<(String, String, Vec<u8>, String)> = accounts
        .iter()
        .filter_map(|a| {
            let token = a.access_token.as_ref()?;
            Some((
                a.id.clone(),
                a.name.clone().unwrap_or_else(|| a.id.clone()),
                cipher.encrypt(token.expose(), &format!("page:{}", a.id)),
                a.tasks.join(","),
            ))
        })
        .collect();
    let stored = state
        .db
        .transaction(move |conn| {
            let admin = admins::upsert(
                conn,
                &admins::AdminLogin {
                    fb_user_id: &me_id,
                    name: &me_name,
                    email: me_email.as_deref(),
                    user_token_enc: &user_enc,
                    user_token_expires_at: expires,
                },
            )?;
            let mut ids = Vec::new();
            for (fb_id, name, enc, tasks) in &page_rows {
                let page = pages::install(
                    conn,
                    &pages::InstalledPage {
                        fb_page_id: fb_id,
                        name,
                        category: None,
                        page_token_enc: enc,
                        token_admin_id: admin.id,
                    },
                    tasks,
                )?;
                ids.push((page.id, fb_id.clone()));
            }
            let keep: Vec<i64> = ids.iter().map(|(id, _)| *id).collect();
            pages::unlink_others(conn, admin.id, &keep)?;
            Ok((admin.id, ids))
        })
        .await?;
    let (admin_id, page_ids) = stored;
    for (account, (page_id, _)) in accounts
        .iter()
        .filter(|a| a.access_token.is_some())
        .zip(&page_ids)
    {
        if let Some(token) = account.token() {
            subscribe(state, *page_id, &account.id, &token).await?;
        }
    }
    Ok(Installed {
        admin_id,
        pages: page_ids.len(),
    })
}

/// Subscribes a page to Fanfare's webhook fields and records the outcome.
pub async fn subscribe(
    state: &AppState,
    page_id: i64,
    fb_page_id: &str,
    token: &AccessToken,
) -> Result<bool, AppError> {
    let result = state
        .services
        .graph
        .subscribe_app(fb_page_id, token, WEBHOOK_FIELDS)
        .await;
    let (status, error, ok) = match &result {
        Ok(true) => ("subscribed", None, true),
        Ok(false) => (
            "failed",
            Some("the platform answered success=false".to_string()),
            false,
        ),
        Err(e) => ("failed", Some(e.to_string()), false),
    };
    let fields = ok.then(|| WEBHOOK_FIELDS.join(","));
    let token_error = matches!(&result, Err(e) if e.is_token_error());
    let fb_page_id = fb_page_id.to_string();
    state
        .db
        .run(move |c| {
            pages::set_subscription(c, page_id, status, fields.as_deref(), error.as_deref())?;
            if token_error {
                // Recorded here too (not only by the client's hook) so the API
                // shows it as soon as this request answers.
                pages::mark_token_status(c, &fb_page_id, "needs_reauth", error.as_deref())?;
            }
            Ok(())
        })
        .await?;
    Ok(ok)
}

/// The stored page token, decrypted, typed with its owner.
pub fn page_token(state: &AppState, page: &pages::Page) -> Option<AccessToken> {
    let blob = page.page_token_enc.as_ref()?;
    let value = state
        .keys
        .tokens
        .decrypt(blob, &format!("page:{}", page.fb_page_id))
        .ok()?;
    Some(AccessToken::page(page.fb_page_id.clone(), value))
}
