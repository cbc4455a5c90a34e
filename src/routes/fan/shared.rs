//! The part of a contest's fan page that is the same for every fan: the gallery
//! with its vote counts, the top campaigners, the prize poll and the winners.
//! Loaded once per contest and kept in process for at most [`TTL`]; a write by
//! this process (any [`crate::db::Db::run`], see [`crate::db::data_generation`])
//! makes it stale at once, so a fan who acts sees the result on the next page.
//! Writes by other processes show within the TTL.
//!
//! Concurrent requests that find it stale wait for one load instead of all
//! loading it (a burst of 64 requests costs one round trip, not 64).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::engagement::{self, SharedEngagement};
use super::holes::Holed;
use super::page::PageKey;
use crate::db::contests::Contest;
use crate::db::data_generation;
use crate::db::entries;
use crate::error::AppError;
use crate::state::AppState;

pub const TTL: Duration = Duration::from_secs(1);
/// Gallery size on the fan page.
const GALLERY: i64 = 60;

pub struct GalleryItem {
    pub id: i64,
    pub text: Option<String>,
    pub image_url: Option<String>,
    pub author: String,
    pub votes: i64,
}

pub struct Shared {
    pub gallery: Vec<GalleryItem>,
    pub engagement: SharedEngagement,
    /// Pages rendered from this data, with holes for per-request values
    /// (`super::page::render`); they go stale with it.
    pages: Mutex<HashMap<PageKey, Arc<Holed>>>,
}

/// Page variants kept per contest (statuses × tab/link × logged in × countries).
const MAX_PAGES: usize = 512;

impl Shared {
    /// The kept page for `key`, rendered by `render` the first time.
    pub fn page(
        &self,
        key: PageKey,
        render: impl FnOnce() -> Result<String, AppError>,
    ) -> Result<Arc<Holed>, AppError> {
        if let Some(p) = self.pages.lock().expect("pages lock").get(&key) {
            return Ok(p.clone());
        }
        // Rendered outside the lock; two requests may both render, same result.
        let holed = Arc::new(Holed::split(&render()?));
        let mut pages = self.pages.lock().expect("pages lock");
        if pages.len() < MAX_PAGES {
            pages.insert(key, holed.clone());
        }
        Ok(holed)
    }
}

struct Cached {
    at: Instant,
    generation: u64,
    shared: Arc<Shared>,
}

impl Cached {
    fn fresh(&self) -> bool {
        self.at.elapsed() < TTL && self.generation == data_generation()
    }
}

/// Per contest: the cached value, and a lock taken only to reload it.
#[derive(Default)]
pub struct SharedCache {
    entries: Mutex<HashMap<i64, Cached>>,
    loading: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

/// Contests beyond this many are not cached (memory bound).
const MAX_ENTRIES: usize = 10_000;

impl SharedCache {
    fn fresh(&self, contest_id: i64) -> Option<Arc<Shared>> {
        let entries = self.entries.lock().expect("shared cache lock");
        entries
            .get(&contest_id)
            .filter(|c| c.fresh())
            .map(|c| c.shared.clone())
    }

    /// The shared part of `contest`'s page, fresh.
    pub async fn get(&self, state: &AppState, contest: &Contest) -> Result<Arc<Shared>, AppError> {
        if let Some(s) = self.fresh(contest.id) {
            return Ok(s);
        }
        let lock = self
            .loading
            .lock()
            .expect("shared cache lock")
            .entry(contest.id)
            .or_default()
            .clone();
        let _loading = lock.lock().await;
        // Someone else may have loaded it while this request waited.
        if let Some(s) = self.fresh(contest.id) {
            return Ok(s);
        }
        let generation = data_generation();
        let c = contest.clone();
        let shared = Arc::new(
            state
                .db
                .run_keeping_fan_caches(move |conn| load(conn, &c))
                .await?,
        );
        let mut entries = self.entries.lock().expect("shared cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, c| c.fresh());
        }
        if entries.len() < MAX_ENTRIES {
            entries.insert(
                contest.id,
                Cached {
                    at: Instant::now(),
                    generation,
                    shared: shared.clone(),
                },
            );
        }
        Ok(shared)
    }
}

fn load(conn: &mut diesel::PgConnection, contest: &Contest) -> Result<Shared, AppError> {
    let gallery = entries::gallery(conn, contest.id, GALLERY)?
        .into_iter()
        .map(|g| GalleryItem {
            id: g.entry.id,
            text: g.entry.text,
            image_url: g
                .entry
                .image_name
                .as_deref()
                .map(|n| format!("/uploads/{n}")),
            author: g.author.unwrap_or_else(|| "A fan".into()),
            votes: g.votes,
        })
        .collect();
    Ok(Shared {
        gallery,
        engagement: engagement::load_shared(conn, contest, Utc::now())?,
        pages: Mutex::default(),
    })
}
