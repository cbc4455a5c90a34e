//! The audit log: who did what to which record, for admins and for disputes.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::audit_log;

pub struct Audit<'a> {
    pub page_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: Option<i64>,
    pub details: serde_json::Value,
}

pub fn record(conn: &mut PgConnection, a: Audit<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::page_id.eq(a.page_id),
            audit_log::admin_id.eq(a.admin_id),
            audit_log::action.eq(a.action),
            audit_log::subject_type.eq(a.subject_type),
            audit_log::subject_id.eq(a.subject_id),
            audit_log::details.eq(a.details),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub page_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<i64>,
    pub details: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The log for pages the admin manages.
pub fn for_admin(
    conn: &mut PgConnection,
    admin_id: i64,
    subject: Option<(&str, i64)>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    use super::schema::page_admins;
    let mut q = audit_log::table
        .inner_join(page_admins::table.on(page_admins::page_id.nullable().eq(audit_log::page_id)))
        .filter(page_admins::admin_id.eq(admin_id))
        .select(AuditEntry::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some((t, id)) = subject {
        q = q
            .filter(audit_log::subject_type.eq(t.to_string()))
            .filter(audit_log::subject_id.eq(id));
    }
    q.load(conn)
}

/// The newest entries of one action on one page, for an admin who manages it
/// (e.g. the exports page lists `export.contacts`).
pub fn recent_on_page(
    conn: &mut PgConnection,
    admin_id: i64,
    page_id: i64,
    action: &str,
    limit: i64,
) -> QueryResult<Vec<(AuditEntry, Option<String>)>> {
    use super::schema::{admins, page_admins};
    audit_log::table
        .inner_join(page_admins::table.on(page_admins::page_id.nullable().eq(audit_log::page_id)))
        .left_join(admins::table.on(admins::id.nullable().eq(audit_log::admin_id)))
        .filter(page_admins::admin_id.eq(admin_id))
        .filter(audit_log::page_id.eq(page_id))
        .filter(audit_log::action.eq(action))
        .order(audit_log::id.desc())
        .limit(limit)
        .select((AuditEntry::as_select(), admins::name.nullable()))
        .load(conn)
}
