//! Admins and their sessions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use super::schema::{admin_sessions, admins};

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = admins)]
pub struct Admin {
    pub id: i64,
    pub fb_user_id: String,
    pub name: String,
    pub email: Option<String>,
    #[serde(skip)]
    pub user_token_enc: Option<Vec<u8>>,
    pub user_token_expires_at: Option<DateTime<Utc>>,
    pub token_status: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

pub struct AdminLogin<'a> {
    pub fb_user_id: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub user_token_enc: &'a [u8],
    pub user_token_expires_at: Option<DateTime<Utc>>,
}

/// Creates or updates the admin by Facebook user id (re-install never duplicates).
pub fn upsert(conn: &mut PgConnection, a: &AdminLogin<'_>) -> QueryResult<Admin> {
    diesel::insert_into(admins::table)
        .values((
            admins::fb_user_id.eq(a.fb_user_id),
            admins::name.eq(a.name),
            admins::email.eq(a.email),
            admins::user_token_enc.eq(a.user_token_enc),
            admins::user_token_expires_at.eq(a.user_token_expires_at),
            admins::token_status.eq("valid"),
            admins::last_login_at.eq(diesel::dsl::now),
        ))
        .on_conflict(admins::fb_user_id)
        .do_update()
        .set((
            admins::name.eq(a.name),
            admins::email.eq(a.email),
            admins::user_token_enc.eq(a.user_token_enc),
            admins::user_token_expires_at.eq(a.user_token_expires_at),
            admins::token_status.eq("valid"),
            admins::last_login_at.eq(diesel::dsl::now),
            admins::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Admin::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Admin> {
    admins::table
        .find(id)
        .select(Admin::as_select())
        .first(conn)
}

pub fn find_by_fb_id(conn: &mut PgConnection, fb_user_id: &str) -> QueryResult<Option<Admin>> {
    admins::table
        .filter(admins::fb_user_id.eq(fb_user_id))
        .select(Admin::as_select())
        .first(conn)
        .optional()
}

pub fn set_token_status(
    conn: &mut PgConnection,
    fb_user_id: &str,
    status: &str,
) -> QueryResult<usize> {
    diesel::update(admins::table.filter(admins::fb_user_id.eq(fb_user_id)))
        .set((
            admins::token_status.eq(status),
            admins::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
}

/// Deauthorization: forget the admin's token and end their sessions.
pub fn revoke(conn: &mut PgConnection, fb_user_id: &str) -> QueryResult<usize> {
    let Some(admin) = find_by_fb_id(conn, fb_user_id)? else {
        return Ok(0);
    };
    let had_token = admin.user_token_enc.is_some() as usize;
    diesel::update(admins::table.find(admin.id))
        .set((
            admins::user_token_enc.eq(None::<Vec<u8>>),
            admins::token_status.eq("revoked"),
            admins::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    revoke_all_sessions(conn, admin.id)?;
    Ok(had_token)
}

pub fn create_session(
    conn: &mut PgConnection,
    admin_id: i64,
    expires_at: DateTime<Utc>,
) -> QueryResult<Uuid> {
    let id = Uuid::new_v4();
    diesel::insert_into(admin_sessions::table)
        .values((
            admin_sessions::id.eq(id),
            admin_sessions::admin_id.eq(admin_id),
            admin_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The session's hard expiry when it is active and belongs to `admin_id`.
pub fn active_session(
    conn: &mut PgConnection,
    session_id: Uuid,
    admin_id: i64,
) -> QueryResult<Option<DateTime<Utc>>> {
    admin_sessions::table
        .filter(admin_sessions::id.eq(session_id))
        .filter(admin_sessions::admin_id.eq(admin_id))
        .filter(admin_sessions::revoked_at.is_null())
        .filter(admin_sessions::expires_at.gt(diesel::dsl::now))
        .select(admin_sessions::expires_at)
        .first(conn)
        .optional()
}

pub fn touch_session(conn: &mut PgConnection, session_id: Uuid) -> QueryResult<()> {
    diesel::update(admin_sessions::table.find(session_id))
        .set(admin_sessions::last_seen_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(|_| ())
}

pub fn revoke_session(conn: &mut PgConnection, session_id: Uuid) -> QueryResult<usize> {
    diesel::update(
        admin_sessions::table
            .find(session_id)
            .filter(admin_sessions::revoked_at.is_null()),
    )
    .set(admin_sessions::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
}

pub fn revoke_all_sessions(conn: &mut PgConnection, admin_id: i64) -> QueryResult<usize> {
    diesel::update(
        admin_sessions::table
            .filter(admin_sessions::admin_id.eq(admin_id))
            .filter(admin_sessions::revoked_at.is_null()),
    )
    .set(admin_sessions::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
}
