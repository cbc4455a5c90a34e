//! Contests. Admin-facing functions take the admin id and join `page_admins`
//! (tenancy lives here, not in handlers); public ones look contests up by slug or
//! page for the fan page.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{contests, page_admins};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = contests)]
pub struct Contest {
    pub id: i64,
    pub page_id: i64,
    pub slug: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub prize: String,
    pub rules_text: String,
    pub rules_version: String,
    pub min_age: Option<i32>,
    pub allowed_countries: Option<String>,
    pub entry_limit: String,
    pub vote_limit: String,
    pub time_zone: String,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub status: String,
    pub auto_approve: bool,
    pub voting_enabled: bool,
    pub form_schema: serde_json::Value,
    pub linked_post_id: Option<String>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Points per reason with caps (`domain::points::PointRules`).
    pub point_rules: serde_json::Value,
    /// Points that make one bonus draw entry; `None`: points add no entries.
    pub points_per_bonus_entry: Option<i32>,
}

impl Contest {
    pub fn status(&self) -> crate::domain::contest::Status {
        crate::domain::contest::Status::parse(&self.status)
            .unwrap_or(crate::domain::contest::Status::Draft)
    }
    pub fn kind(&self) -> crate::domain::contest::Kind {
        crate::domain::contest::Kind::parse(&self.kind).unwrap_or(crate::domain::contest::Kind::Ugc)
    }
    /// The status with the clock applied (see `domain::contest::effective_status`).
    pub fn effective_status(&self, now: DateTime<Utc>) -> crate::domain::contest::Status {
        crate::domain::contest::effective_status(self.status(), self.opens_at, self.closes_at, now)
    }
    pub fn allowed_country_list(&self) -> Option<Vec<String>> {
        self.allowed_countries.as_ref().map(|c| {
            c.split(',')
                .map(|s| s.trim().to_uppercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
    }
}

/// Every column an admin can set, already validated by the route.
#[derive(Insertable, AsChangeset, Debug, Clone, Default)]
#[diesel(table_name = contests)]
pub struct ContestFields {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub prize: Option<String>,
    pub rules_text: Option<String>,
    pub rules_version: Option<String>,
    pub min_age: Option<Option<i32>>,
    pub allowed_countries: Option<Option<String>>,
    pub entry_limit: Option<String>,
    pub vote_limit: Option<String>,
    pub time_zone: Option<String>,
    pub opens_at: Option<Option<DateTime<Utc>>>,
    pub closes_at: Option<Option<DateTime<Utc>>>,
    pub auto_approve: Option<bool>,
    pub voting_enabled: Option<bool>,
    pub form_schema: Option<serde_json::Value>,
    pub linked_post_id: Option<Option<String>>,
    pub point_rules: Option<serde_json::Value>,
    pub points_per_bonus_entry: Option<Option<i32>>,
}

pub fn create(
    conn: &mut PgConnection,
    page_id: i64,
    slug: &str,
    fields: &ContestFields,
) -> QueryResult<Contest> {
    bump_generation();
    diesel::insert_into(contests::table)
        .values((
            contests::page_id.eq(page_id),
            contests::slug.eq(slug),
            fields,
        ))
        .returning(Contest::as_returning())
        .get_result(conn)
}

pub fn update(conn: &mut PgConnection, id: i64, fields: &ContestFields) -> QueryResult<Contest> {
    bump_generation();
    diesel::update(contests::table.find(id))
        .set((fields, contests::updated_at.eq(diesel::dsl::now)))
        .returning(Contest::as_returning())
        .get_result(conn)
}

/// One contest, only if the admin manages its page. Locks it for the caller's
/// transaction when `lock` is set (transitions, draws).
pub fn find_for_admin(conn: &mut PgConnection, admin_id: i64, id: i64) -> QueryResult<Contest> {
    contests::table
        .filter(contests::id.eq(id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(contests::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select(Contest::as_select())
        .first(conn)
}

pub fn lock_for_admin(conn: &mut PgConnection, admin_id: i64, id: i64) -> QueryResult<Contest> {
    find_for_admin(conn, admin_id, id)?;
    contests::table
        .find(id)
        .for_update()
        .select(Contest::as_select())
        .first(conn)
}

pub fn list_for_admin(
    conn: &mut PgConnection,
    admin_id: i64,
    page_id: Option<i64>,
) -> QueryResult<Vec<Contest>> {
    let mut q = contests::table
        .inner_join(page_admins::table.on(page_admins::page_id.eq(contests::page_id)))
        .filter(page_admins::admin_id.eq(admin_id))
        .select(Contest::as_select())
        .order(contests::created_at.desc())
        .into_boxed();
    if let Some(p) = page_id {
        q = q.filter(contests::page_id.eq(p));
    }
    q.load(conn)
}

/// The page of the admin's most recently created contest (the dashboard's
/// default page when none was chosen).
pub fn latest_page_for_admin(conn: &mut PgConnection, admin_id: i64) -> QueryResult<Option<i64>> {
    contests::table
        .inner_join(page_admins::table.on(page_admins::page_id.eq(contests::page_id)))
        .filter(page_admins::admin_id.eq(admin_id))
        .order(contests::created_at.desc())
        .select(contests::page_id)
        .first(conn)
        .optional()
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Contest> {
    contests::table
        .find(id)
        .select(Contest::as_select())
        .first(conn)
}

/// Public: a contest by slug, never a draft.
pub fn find_public(conn: &mut PgConnection, slug: &str) -> QueryResult<Contest> {
    contests::table
        .filter(contests::slug.eq(slug))
        .filter(contests::status.ne("draft"))
        .select(Contest::as_select())
        .first(conn)
}

/// The contest a page's fan page shows: open first (by the clock), then the
/// soonest scheduled or the most recently closed.
pub fn current_for_page(
    conn: &mut PgConnection,
    page_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<Option<Contest>> {
    Ok(pick_current(candidates_for_page(conn, page_id)?, now))
}

/// The contests [`current_for_page`] chooses from (newest 50 that are not drafts).
pub fn candidates_for_page(conn: &mut PgConnection, page_id: i64) -> QueryResult<Vec<Contest>> {
    contests::table
        .filter(contests::page_id.eq(page_id))
        .filter(contests::status.ne("draft"))
        .order(contests::created_at.desc())
        .limit(50)
        .select(Contest::as_select())
        .load(conn)
}

/// The current contest among the candidates, by effective status at `now`: open
/// first, then prize poll, scheduled, and finished ones; the newest on a tie.
pub fn pick_current<C: std::borrow::Borrow<Contest>>(
    candidates: Vec<C>,
    now: DateTime<Utc>,
) -> Option<C> {
    candidates
        .into_iter()
        .min_by_key(|c| current_rank(c.borrow(), now))
}

/// Which contest a page shows first: open, then prize poll, scheduled, ended.
fn current_rank(c: &Contest, now: DateTime<Utc>) -> u8 {
    use crate::domain::contest::Status;
    match c.effective_status(now) {
        Status::Open => 0,
        Status::PrizePoll => 1,
        Status::Scheduled => 2,
        Status::Closed | Status::WinnersAnnounced => 3,
        Status::Draft => 4,
    }
}

/// Bumped before every write to `contests` made by this process (create, update,
/// status change), so caches of contest rows can tell they may be stale.
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn bump_generation() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

pub fn generation() -> u64 {
    GENERATION.load(std::sync::atomic::Ordering::SeqCst)
}

/// A short-lived cache of a page and its contest candidates by Facebook page id,
/// for the fan tab (`POST /tab` looks both up on every request). An entry is used
/// for at most [`PageContests::TTL`] and never after a contest write by this
/// process (see [`generation`]); writes by another process show within the TTL.
/// The current contest is still picked per request, so schedules are exact.
#[derive(Default)]
pub struct PageContests {
    entries: std::sync::Mutex<std::collections::HashMap<String, CachedPage>>,
}

struct CachedPage {
    at: std::time::Instant,
    generation: u64,
    page: Arc<super::pages::Page>,
    candidates: Vec<Arc<Contest>>,
}

impl PageContests {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(1);
    /// Bounds memory: pages beyond this are not cached.
    const MAX_ENTRIES: usize = 10_000;

    /// The cached page and candidates, when fresh.
    pub fn get(&self, fb_page_id: &str) -> Option<(Arc<super::pages::Page>, Vec<Arc<Contest>>)> {
        let entries = self.entries.lock().expect("page cache lock");
        let e = entries.get(fb_page_id)?;
        (e.at.elapsed() < Self::TTL && e.generation == generation())
            .then(|| (e.page.clone(), e.candidates.clone()))
    }

    /// The cached page and its current contest at `now`, when fresh (this runs
    /// on every `POST /tab`; shared, not cloned).
    pub fn current(
        &self,
        fb_page_id: &str,
        now: DateTime<Utc>,
    ) -> Option<(Arc<super::pages::Page>, Option<Arc<Contest>>)> {
        let entries = self.entries.lock().expect("page cache lock");
        let e = entries.get(fb_page_id)?;
        if e.at.elapsed() >= Self::TTL || e.generation != generation() {
            return None;
        }
        Some((
            e.page.clone(),
            e.candidates
                .iter()
                .min_by_key(|c| current_rank(c, now))
                .cloned(),
        ))
    }

    /// Stores what was loaded; `generation` is [`generation`] read before loading.
    pub fn put(
        &self,
        fb_page_id: &str,
        generation: u64,
        page: Arc<super::pages::Page>,
        candidates: Vec<Arc<Contest>>,
    ) {
        let mut entries = self.entries.lock().expect("page cache lock");
        if entries.len() >= Self::MAX_ENTRIES {
            entries.retain(|_, e| e.at.elapsed() < Self::TTL);
            if entries.len() >= Self::MAX_ENTRIES {
                return;
            }
        }
        entries.insert(
            fb_page_id.to_string(),
            CachedPage {
                at: std::time::Instant::now(),
                generation,
                page,
                candidates,
            },
        );
    }
}

pub fn set_status(conn: &mut PgConnection, id: i64, status: &str) -> QueryResult<Contest> {
    bump_generation();
    let now = diesel::dsl::now;
    let q = diesel::update(contests::table.find(id));
    match status {
        "open" => q
            .set((
                contests::status.eq(status),
                contests::opened_at.eq(Some(Utc::now())),
                contests::updated_at.eq(now),
            ))
            .returning(Contest::as_returning())
            .get_result(conn),
        "closed" => q
            .set((
                contests::status.eq(status),
                contests::closed_at.eq(Some(Utc::now())),
                contests::updated_at.eq(now),
            ))
            .returning(Contest::as_returning())
            .get_result(conn),
        _ => q
            .set((contests::status.eq(status), contests::updated_at.eq(now)))
            .returning(Contest::as_returning())
            .get_result(conn),
    }
}

/// Contests whose stored status lags the clock (for the periodic job).
pub fn due_for_clock(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Vec<Contest>> {
    contests::table
        .filter(
            contests::status
                .eq("scheduled")
                .and(contests::opens_at.le(now).or(contests::closes_at.le(now)))
                .or(contests::status.eq("open").and(contests::closes_at.le(now))),
        )
        .select(Contest::as_select())
        .load(conn)
}

/// Open comment-to-enter contests linked to a post.
pub fn by_linked_post(conn: &mut PgConnection, post_id: &str) -> QueryResult<Vec<Contest>> {
    contests::table
        .filter(contests::linked_post_id.eq(post_id))
        .filter(contests::kind.eq("comment_to_enter"))
        .select(Contest::as_select())
        .load(conn)
}
