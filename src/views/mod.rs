//! Fan page views, recorded off the request path and never dropped.
//!
//! A page view used to cost the request about a dozen sequential round trips to
//! Postgres (contact resolution, visitor link, the `page_view` activity with its
//! rollup trigger, the daily visit points) and a commit. Now the request hands
//! the view to a bounded in-process buffer and answers; one writer task drains the
//! buffer and stores whatever has accumulated in one transaction with set-based
//! statements ([`flush`]). When the buffer is full the request **waits** for room
//! (backpressure): a view is never dropped to keep a page fast.
//!
//! Dedupe: the database keeps one `page_view` per dedupe key (a unique
//! constraint); the buffer remembers the keys it has accepted today and ignores
//! repeats before they cost anything, which is exactly what the constraint would
//! have done with them. The key is per browser (`view:{contest}:{visitor}:{day}`),
//! except for a view with an authorised signed_request, which names the person:
//! that view is keyed per person (`view:{contest}:asid:{asid}:{day}`), so a person
//! with two browsers is one viewer. This is what makes the repeat views of a known
//! fan free (no database work at all); the cost is that a second browser of a
//! person already counted today is not linked to their contact by its view (it
//! is linked as soon as it logs in, enters or votes).
//!
//! Durability: a view is telemetry and nobody was acknowledged anything about it,
//! so it is not committed before the page is answered. A crash (not a graceful
//! stop) loses the views still buffered, at most those accepted since the last
//! flush began (`views.buffer` + `views.max_batch`). A graceful stop flushes the
//! buffer ([`Views::flush`], called by `startup`). A failed flush is retried with
//! backoff, never discarded; meanwhile the buffer fills and page requests wait,
//! each at most as long as it would wait for a pooled connection
//! (`database.acquire_timeout_ms`), then it is answered 503 like any request that
//! finds the database unavailable (its view is not taken: nobody saw the page).
//!
//! Admins read their fans' writes: an admin request waits, after it has
//! authenticated, until the views accepted before it are stored
//! ([`Views::settle`]).

pub mod flush;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::{mpsc, oneshot};

use crate::db::contests::Contest;
use crate::db::Db;
use crate::error::AppError;

/// One fan page view, as the request saw it.
pub struct View {
    pub contest: Arc<Contest>,
    /// The browser (visitor cookie).
    pub visitor_id: String,
    /// The app-scoped id of an authorised signed_request.
    pub person: Option<String>,
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl View {
    /// The key the database dedupes `page_view` activities on.
    pub fn dedupe_key(&self) -> String {
        dedupe_key(
            self.contest.id,
            &self.visitor_id,
            self.person.as_deref(),
            self.at,
        )
    }
}

fn dedupe_key(contest: i64, visitor: &str, person: Option<&str>, at: DateTime<Utc>) -> String {
    // `NaiveDate` displays as YYYY-MM-DD, without strftime's parsing.
    let day = at.date_naive();
    match person {
        Some(asid) => format!("view:{contest}:asid:{asid}:{day}"),
        None => format!("view:{contest}:{visitor}:{day}"),
    }
}

enum Msg {
    View(View),
    Flush(oneshot::Sender<()>),
}

/// Keys accepted today, and whether the view is settled: stored on a contact
/// (a person's view always is). A repeat of a settled view is ignored; a repeat
/// of an anonymous one still goes to the writer, because the browser may have
/// become known since (entered, logged in), and then the repeat earns the
/// person's daily visit as it always did. Forgetting keys (a new day, or the
/// bound) is harmless: the database dedupes too; remembering only saves work.
struct Seen {
    day: NaiveDate,
    keys: HashMap<String, bool>,
}

const SEEN_MAX: usize = 1_000_000;

#[derive(Clone)]
pub struct Views {
    tx: mpsc::Sender<Msg>,
    seen: Arc<Mutex<Seen>>,
    /// Longest wait for room in a full buffer before the request gets 503.
    max_wait: Duration,
}

impl Views {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db, buffer: usize, max_batch: usize, max_wait: Duration) -> Views {
        let (tx, rx) = mpsc::channel(buffer.max(1));
        let seen = Arc::new(Mutex::new(Seen {
            day: NaiveDate::MIN,
            keys: HashMap::new(),
        }));
        tokio::spawn(writer(db, rx, max_batch.max(1), seen.clone()));
        Views { tx, seen, max_wait }
    }

    /// Accepts a view of `contest` by the browser `visitor_id` (and the person
    /// `person`, an authorised signed_request's app-scoped id); waits while the
    /// buffer is full, up to `max_wait`, then fails as unavailable (503). A view
    /// already accepted today (same dedupe key) is ignored at once, as the
    /// database would ignore it.
    pub async fn record(
        &self,
        contest: &Contest,
        visitor_id: &str,
        person: Option<String>,
        details: serde_json::Value,
    ) -> Result<(), AppError> {
        let at = Utc::now();
        let key = dedupe_key(contest.id, visitor_id, person.as_deref(), at);
        let mut repeat = false;
        {
            let mut seen = self.seen.lock().expect("views seen lock");
            let day = at.date_naive();
            if seen.day != day || seen.keys.len() >= SEEN_MAX {
                seen.day = day;
                seen.keys.clear();
            }
            match seen.keys.get(&key) {
                Some(true) => return Ok(()),
                // A repeat of an anonymous view: already pending, or stored.
                Some(false) => repeat = true,
                None => {
                    seen.keys.insert(key.clone(), person.is_some());
                }
            }
        }
        // Should this request be abandoned while waiting for room, the key is
        // forgotten again, so the browser's next view is not taken for a repeat.
        let mut unsent = Unsent {
            seen: &self.seen,
            key: (!repeat).then_some(key),
        };
        let view = View {
            contest: Arc::new(contest.clone()),
            visitor_id: visitor_id.to_string(),
            person,
            details,
            at,
        };
        match tokio::time::timeout(self.max_wait, self.tx.send(Msg::View(view))).await {
            Ok(Ok(())) => {}
            // Only when the runtime is shutting down and the writer is gone.
            Ok(Err(_)) => {
                tracing::error!("page view writer stopped; a view could not be recorded")
            }
            // The writer cannot store (Postgres away): `unsent` forgets the key.
            Err(_) => {
                return Err(AppError::unavailable(anyhow::anyhow!(
                    "page views cannot be stored right now"
                )))
            }
        }
        unsent.key = None;
        Ok(())
    }

    /// Waits, at most `max_wait`, until every view accepted before this call is
    /// stored. Admin requests call it (through [`crate::auth::admin::AdminAuth`]),
    /// so the dashboard and the API read their own fans' writes: a page answered
    /// before the admin asked is counted (visit points, page views, side-liners).
    /// Idle, it costs one message to the writer; after `max_wait` (Postgres away)
    /// it gives up and the request reads what is stored.
    pub async fn settle(&self) {
        let _ = tokio::time::timeout(self.max_wait, self.flush()).await;
    }

    /// Returns once every view accepted before this call is stored.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

struct Unsent<'a> {
    seen: &'a Mutex<Seen>,
    key: Option<String>,
}

impl Drop for Unsent<'_> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            if let Ok(mut seen) = self.seen.lock() {
                seen.keys.remove(&k);
            }
        }
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Msg>, max_batch: usize, seen: Arc<Mutex<Seen>>) {
    while let Some(first) = rx.recv().await {
        let mut views = Vec::new();
        let mut waiters = Vec::new();
        let mut next = Some(first);
        // Everything that arrived while the previous batch was written goes
        // into this one: batches grow with the load, without any timer.
        while let Some(m) = next.take() {
            match m {
                Msg::View(v) => views.push(v),
                Msg::Flush(w) => waiters.push(w),
            }
            if views.len() < max_batch {
                next = rx.try_recv().ok();
            }
        }
        let settled = store_until_done(&db, views).await;
        if !settled.is_empty() {
            let mut seen = seen.lock().expect("views seen lock");
            for key in settled {
                if let Some(s) = seen.keys.get_mut(&key) {
                    *s = true;
                }
            }
        }
        for w in waiters {
            let _ = w.send(());
        }
    }
}

/// Stores a batch, retrying with backoff until it is stored: views are never
/// discarded because Postgres was briefly away. Returns the dedupe keys of the
/// views stored on a contact.
async fn store_until_done(db: &Db, views: Vec<View>) -> Vec<String> {
    if views.is_empty() {
        return Vec::new();
    }
    let views = Arc::new(views);
    let mut delay = Duration::from_millis(50);
    loop {
        let pool = db.pool().clone();
        let batch = views.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            flush::store(&mut conn, &batch).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
        match result {
            Ok(settled) => {
                if !settled.is_empty() {
                    // Visit points move the leaderboard of the fan page.
                    crate::db::bump_data_generation();
                }
                return settled;
            }
            Err(e) => {
                tracing::error!(error = %e, views = views.len(), retry_in_ms = delay.as_millis() as u64,
                    "storing page views failed; retrying (nothing is dropped)");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}
