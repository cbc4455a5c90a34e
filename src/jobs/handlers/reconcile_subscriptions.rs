//! `reconcile_subscriptions` (daily): compares each page's webhook subscription
//! with `GET /{page}/subscribed_apps`, subscribes again when ours is missing, and
//! records the outcome. A token error marks the page `needs_reauth` (through the
//! Graph client's hook and here).

use diesel::pg::PgConnection;

use crate::db::jobs::Job;
use crate::db::pages;
use crate::domain::install::WEBHOOK_FIELDS;
use crate::jobs::{JobContext, JobError, JobHandler};
use crate::platform::facebook::graph::AccessToken;

pub const KIND: &str = "reconcile_subscriptions";

pub struct ReconcileSubscriptions;

impl JobHandler for ReconcileSubscriptions {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, ctx: &JobContext, conn: &mut PgConnection, _job: &Job) -> Result<(), JobError> {
        let graph = &ctx.services.graph;
        let cipher = crate::crypto::tokens::TokenCipher::new(&ctx.settings.security);
        for page in pages::all(conn)? {
            let Some(blob) = &page.page_token_enc else {
                continue;
            };
            let Ok(value) = cipher.decrypt(blob, &format!("page:{}", page.fb_page_id)) else {
                pages::mark_token_status(
                    conn,
                    &page.fb_page_id,
                    "needs_reauth",
                    Some("stored token cannot be decrypted"),
                )?;
                continue;
            };
            let token = AccessToken::page(page.fb_page_id.clone(), value);
            let listed = ctx
                .runtime
                .block_on(graph.subscribed_apps(&page.fb_page_id, &token));
            let app_id = &ctx.settings.facebook.app_id;
            let outcome = match listed {
                Ok(apps) => {
                    let ours = apps
                        .iter()
                        .find(|a| a.id.as_deref() == Some(app_id.as_str()));
                    let complete = ours.is_some_and(|a| {
                        WEBHOOK_FIELDS
                            .iter()
                            .all(|f| a.subscribed_fields.iter().any(|s| s == f))
                    });
                    if complete {
                        Ok(true)
                    } else {
                        ctx.runtime.block_on(graph.subscribe_app(
                            &page.fb_page_id,
                            &token,
                            WEBHOOK_FIELDS,
                        ))
                    }
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(true) => pages::set_subscription(
                    conn,
                    page.id,
                    "subscribed",
                    Some(&WEBHOOK_FIELDS.join(",")),
                    None,
                )?,
                Ok(false) => pages::set_subscription(
                    conn,
                    page.id,
                    "failed",
                    None,
                    Some("the platform answered success=false"),
                )?,
                Err(e) if e.is_token_error() => {
                    pages::mark_token_status(
                        conn,
                        &page.fb_page_id,
                        "needs_reauth",
                        Some(&e.to_string()),
                    )?;
                    pages::set_subscription(conn, page.id, "failed", None, Some(&e.to_string()))?;
                }
                Err(e) if e.is_retryable() => return Err(JobError::retry(e.to_string())),
                Err(e) => {
                    pages::set_subscription(conn, page.id, "failed", None, Some(&e.to_string()))?
                }
            }
        }
        Ok(())
    }
}
