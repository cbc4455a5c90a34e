//! Installed pages and who manages them.
//!
//! Tenancy lives here: every function an admin-facing handler uses takes the
//! admin's id and joins `page_admins`, so a handler cannot forget the check. A page
//! of another tenant is indistinguishable from a missing one (`NotFound` → 404).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{page_admins, pages};

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = pages)]
pub struct Page {
    pub id: i64,
    pub fb_page_id: String,
    pub name: String,
    pub category: Option<String>,
    #[serde(skip)]
    pub page_token_enc: Option<Vec<u8>>,
    #[serde(skip)]
    pub token_admin_id: Option<i64>,
    pub token_status: String,
    pub token_error: Option<String>,
    pub token_checked_at: Option<DateTime<Utc>>,
    pub subscribed_fields: Option<String>,
    pub subscription_status: String,
    pub subscription_error: Option<String>,
    pub subscription_checked_at: Option<DateTime<Utc>>,
    pub installed_at: DateTime<Utc>,
}

pub struct InstalledPage<'a> {
    pub fb_page_id: &'a str,
    pub name: &'a str,
    pub category: Option<&'a str>,
    pub page_token_enc: &'a [u8],
    pub token_admin_id: i64,
}

/// Creates or refreshes a page and links it to the installing admin.
pub fn install(conn: &mut PgConnection, p: &InstalledPage<'_>, tasks: &str) -> QueryResult<Page> {
    let page: Page = diesel::insert_into(pages::table)
        .values((
            pages::fb_page_id.eq(p.fb_page_id),
            pages::name.eq(p.name),
            pages::category.eq(p.category),
            pages::page_token_enc.eq(p.page_token_enc),
            pages::token_admin_id.eq(p.token_admin_id),
            pages::token_status.eq("valid"),
        ))
        .on_conflict(pages::fb_page_id)
        .do_update()
        .set((
            pages::name.eq(p.name),
            pages::category.eq(p.category),
            pages::page_token_enc.eq(p.page_token_enc),
            pages::token_admin_id.eq(p.token_admin_id),
            pages::token_status.eq("valid"),
            pages::token_error.eq(None::<String>),
            pages::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Page::as_returning())
        .get_result(conn)?;
    diesel::insert_into(page_admins::table)
        .values((
            page_admins::page_id.eq(page.id),
            page_admins::admin_id.eq(p.token_admin_id),
            page_admins::tasks.eq(tasks),
        ))
        .on_conflict((page_admins::page_id, page_admins::admin_id))
        .do_update()
        .set(page_admins::tasks.eq(tasks))
        .execute(conn)?;
    Ok(page)
}

/// After a re-install, pages the admin no longer manages stop being theirs.
pub fn unlink_others(conn: &mut PgConnection, admin_id: i64, keep: &[i64]) -> QueryResult<usize> {
    diesel::delete(
        page_admins::table
            .filter(page_admins::admin_id.eq(admin_id))
            .filter(page_admins::page_id.ne_all(keep)),
    )
    .execute(conn)
}

/// Every page the admin manages.
pub fn for_admin(conn: &mut PgConnection, admin_id: i64) -> QueryResult<Vec<Page>> {
    pages::table
        .inner_join(page_admins::table)
        .filter(page_admins::admin_id.eq(admin_id))
        .order(pages::name)
        .select(Page::as_select())
        .load(conn)
}

/// One page, only if the admin manages it (by Fanfare id).
pub fn find_for_admin(conn: &mut PgConnection, admin_id: i64, page_id: i64) -> QueryResult<Page> {
    pages::table
        .inner_join(page_admins::table)
        .filter(page_admins::admin_id.eq(admin_id))
        .filter(pages::id.eq(page_id))
        .select(Page::as_select())
        .first(conn)
}

/// Public lookups (fan pages, webhooks): by Facebook page id.
pub fn find_by_fb_id(conn: &mut PgConnection, fb_page_id: &str) -> QueryResult<Option<Page>> {
    pages::table
        .filter(pages::fb_page_id.eq(fb_page_id))
        .select(Page::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Page> {
    pages::table.find(id).select(Page::as_select()).first(conn)
}

pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Page>> {
    pages::table
        .order(pages::id)
        .select(Page::as_select())
        .load(conn)
}

pub fn set_subscription(
    conn: &mut PgConnection,
    page_id: i64,
    status: &str,
    fields: Option<&str>,
    error: Option<&str>,
) -> QueryResult<()> {
    diesel::update(pages::table.find(page_id))
        .set((
            pages::subscription_status.eq(status),
            pages::subscribed_fields.eq(fields),
            pages::subscription_error.eq(error),
            pages::subscription_checked_at.eq(diesel::dsl::now),
            pages::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A Graph token error marks the page for re-authorisation.
pub fn mark_token_status(
    conn: &mut PgConnection,
    fb_page_id: &str,
    status: &str,
    error: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(pages::table.filter(pages::fb_page_id.eq(fb_page_id)))
        .set((
            pages::token_status.eq(status),
            pages::token_error.eq(error),
            pages::token_checked_at.eq(diesel::dsl::now),
            pages::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
}

/// Deauthorization of an admin: the page tokens that came from their login die too.
pub fn revoke_tokens_from_admin(conn: &mut PgConnection, admin_id: i64) -> QueryResult<usize> {
    diesel::update(
        pages::table
            .filter(pages::token_admin_id.eq(admin_id))
            .filter(pages::page_token_enc.is_not_null()),
    )
    .set((
        pages::page_token_enc.eq(None::<Vec<u8>>),
        pages::token_status.eq("revoked"),
        pages::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
}

/// A page removed the app: drop its token and its subscription.
pub fn revoke_page(conn: &mut PgConnection, fb_page_id: &str) -> QueryResult<usize> {
    diesel::update(pages::table.filter(pages::fb_page_id.eq(fb_page_id)))
        .set((
            pages::page_token_enc.eq(None::<Vec<u8>>),
            pages::token_status.eq("revoked"),
            pages::subscription_status.eq("removed"),
            pages::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
}
