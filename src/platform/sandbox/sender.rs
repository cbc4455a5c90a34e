//! The sandbox webhook sender: delivers queued page events to Fanfare exactly as
//! Facebook does: batched into one envelope per POST, serialised with `\uXXXX`
//! escapes and `\/`, signed with `X-Hub-Signature-256` (and the legacy sha1), and
//! retried with backoff until answered 200 (Facebook gives up after 36 hours).
//!
//! Items are leased (their `next_attempt_at` pushed forward) before sending, so
//! several processes never send the same item at once; a crash mid-send only
//! delays it until the lease ends.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::fb_json::to_facebook_json;
use super::store::{self, OutboxItem};
use super::Sandbox;
use crate::db::schema::sandbox_webhook_outbox as outbox;
use crate::db::Db;
use crate::error::AppError;
use crate::platform::facebook::signature::{sign_sha1, sign_sha256};

/// How long a claimed batch is reserved for one sender.
const LEASE_SECS: i64 = 60;
/// Facebook drops an update it could not deliver for this long.
const GIVE_UP_HOURS: i64 = 36;

#[derive(Clone)]
pub struct SenderHandle {
    wake: Arc<Notify>,
}

impl SenderHandle {
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Starts the background sender on the current runtime.
pub fn start(db: Db, sandbox: Arc<Sandbox>) -> SenderHandle {
    let wake = Arc::new(Notify::new());
    let handle = SenderHandle { wake: wake.clone() };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client");
    tokio::spawn(async move {
        loop {
            match send_due(&db, &sandbox, &client).await {
                // More may be due right away.
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "sandbox sender pass failed"),
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    });
    handle
}

/// Leases due items, sends them as one delivery, records the outcome. Returns how
/// many items were attempted.
pub async fn send_due(db: &Db, sb: &Sandbox, client: &reqwest::Client) -> Result<usize, AppError> {
    let limit = sb.webhook_batch;
    let items: Vec<OutboxItem> = db
        .transaction(move |conn| {
            let items = store::claim_outbox(conn, limit)?;
            let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
            diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                .set(outbox::next_attempt_at.eq(Utc::now() + chrono::Duration::seconds(LEASE_SECS)))
                .execute(conn)?;
            Ok(items)
        })
        .await?;
    if items.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let body = to_facebook_json(&envelope(&items));
    let secret = sb.app_secret.expose().as_bytes();
    let result = client
        .post(&sb.webhook_url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign_sha256(&body, secret))
        .header("x-hub-signature", sign_sha1(&body, secret))
        .body(body)
        .send()
        .await;
    let (status, error) = match result {
        Ok(resp) if resp.status().as_u16() == 200 => (Some(200), None),
        Ok(resp) => (
            Some(i32::from(resp.status().as_u16())),
            Some(format!("HTTP {}", resp.status())),
        ),
        Err(e) => (None, Some(e.without_url().to_string())),
    };
    let attempts = items.iter().map(|i| i.attempts).max().unwrap_or(0);
    let n = ids.len();
    db.transaction(move |conn| {
        match error {
            None => store::mark_delivered(conn, &ids, 200)?,
            Some(err) => {
                let next = next_attempt(conn, &ids, attempts)?;
                store::mark_failed(conn, &ids, status, &err, next)?;
            }
        }
        Ok(())
    })
    .await?;
    Ok(n)
}

/// Exponential backoff (1 s doubling, capped at 15 minutes); after 36 hours the
/// update is dropped, as Facebook does.
fn next_attempt(
    conn: &mut PgConnection,
    ids: &[i64],
    attempts: i32,
) -> QueryResult<chrono::DateTime<Utc>> {
    let oldest: Option<chrono::DateTime<Utc>> = outbox::table
        .filter(outbox::id.eq_any(ids))
        .select(diesel::dsl::min(outbox::created_at))
        .first(conn)?;
    if oldest.is_some_and(|o| o < Utc::now() - chrono::Duration::hours(GIVE_UP_HOURS)) {
        return Ok(Utc::now() + chrono::Duration::days(365 * 100));
    }
    let secs = 1i64 << attempts.clamp(0, 10);
    Ok(Utc::now() + chrono::Duration::seconds(secs.min(900)))
}

/// One `{"object":"page","entry":[...]}` with an entry per page.
pub fn envelope(items: &[OutboxItem]) -> Value {
    let mut entries: Vec<Value> = Vec::new();
    let now = Utc::now().timestamp();
    for item in items {
        let change = json!({"field": item.field, "value": item.value});
        match entries
            .iter_mut()
            .find(|e| e["id"].as_str() == Some(item.page_id.as_str()))
        {
            Some(entry) => entry["changes"]
                .as_array_mut()
                .expect("changes")
                .push(change),
            None => entries.push(json!({"id": item.page_id, "time": now, "changes": [change]})),
        }
    }
    json!({"object": "page", "entry": entries})
}
