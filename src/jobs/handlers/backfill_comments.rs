//! `backfill_comments` {contest_id}: pages through the linked post's comments in
//! the Graph API to the very end and enters every comment a webhook may have
//! missed. Keyed by comment id, so it is safe to run any number of times.

use diesel::pg::PgConnection;
use serde::{Deserialize, Serialize};

use crate::db::jobs::Job;
use crate::db::{contests, pages};
use crate::domain::comment_entries::{enter_by_comment, CommentEntry, CommentSeen};
use crate::jobs::{JobContext, JobError, JobHandler};
use crate::platform::facebook::graph::AccessToken;

pub const KIND: &str = "backfill_comments";

#[derive(Serialize, Deserialize)]
pub struct Payload {
    pub contest_id: i64,
}

pub struct BackfillComments;

impl JobHandler for BackfillComments {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, ctx: &JobContext, conn: &mut PgConnection, job: &Job) -> Result<(), JobError> {
        let p: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::permanent(format!("bad payload: {e}")))?;
        let contest = contests::find(conn, p.contest_id)?;
        let Some(post) = contest.linked_post_id.clone() else {
            return Err(JobError::permanent("the contest has no linked post"));
        };
        let page = pages::find(conn, contest.page_id)?;
        let cipher = crate::crypto::tokens::TokenCipher::new(&ctx.settings.security);
        let token = page
            .page_token_enc
            .as_ref()
            .and_then(|b| cipher.decrypt(b, &format!("page:{}", page.fb_page_id)).ok())
            .map(|v| AccessToken::page(page.fb_page_id.clone(), v))
            .ok_or_else(|| {
                JobError::permanent("the page has no usable token (needs re-authorisation)")
            })?;
        let comments = ctx
            .runtime
            .block_on(ctx.services.graph.post_comments_all(&post, &token))
            .map_err(|e| {
                if e.is_retryable_later() {
                    JobError::retry(e.to_string())
                } else {
                    JobError::permanent(e.to_string())
                }
            })?;
        let mut created = 0;
        for c in &comments {
            let Some(from) = &c.from else { continue };
            let Some(sender_id) = from.id.as_deref() else {
                continue;
            };
            // Replies are conversation, not entries: only top-level comments count.
            if c.parent
                .as_ref()
                .is_some_and(|p| p.id.as_deref() != Some(post.as_str()))
            {
                continue;
            }
            let created_time = c
                .created_time
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z").ok())
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_else(chrono::Utc::now);
            let outcome = enter_by_comment(
                conn,
                &contest,
                &CommentSeen {
                    comment_id: &c.id,
                    post_id: &post,
                    sender_id,
                    sender_name: from.name.as_deref(),
                    message: c.message.as_deref(),
                    created_time,
                },
            )
            .map_err(|e| JobError::retry(e.to_string()))?;
            if matches!(outcome, CommentEntry::Created(_)) {
                created += 1;
            }
        }
        tracing::info!(
            contest_id = contest.id,
            seen = comments.len(),
            created,
            "comment backfill done"
        );
        Ok(())
    }
}
