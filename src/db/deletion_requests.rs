//! Data-deletion requests and deauthorizations.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{deauthorizations, deletion_requests};

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = deletion_requests)]
pub struct DeletionRequest {
    pub id: i64,
    pub confirmation_code: String,
    #[serde(skip)]
    pub subject_hash: String,
    pub status: String,
    pub report: serde_json::Value,
    pub requested_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

pub fn create(conn: &mut PgConnection, code: &str, subject_hash: &str) -> QueryResult<i64> {
    diesel::insert_into(deletion_requests::table)
        .values((
            deletion_requests::confirmation_code.eq(code),
            deletion_requests::subject_hash.eq(subject_hash),
            deletion_requests::status.eq("received"),
        ))
        .returning(deletion_requests::id)
        .get_result(conn)
}

pub fn find_by_code(conn: &mut PgConnection, code: &str) -> QueryResult<DeletionRequest> {
    deletion_requests::table
        .filter(deletion_requests::confirmation_code.eq(code))
        .select(DeletionRequest::as_select())
        .first(conn)
}

pub fn complete(conn: &mut PgConnection, id: i64, report: &serde_json::Value) -> QueryResult<()> {
    diesel::update(deletion_requests::table.find(id))
        .set((
            deletion_requests::status.eq("completed"),
            deletion_requests::report.eq(report),
            deletion_requests::completed_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn record_deauthorization(
    conn: &mut PgConnection,
    user_id: &str,
    profile_id: Option<&str>,
    issued_at: Option<DateTime<Utc>>,
    tokens_revoked: i32,
) -> QueryResult<i64> {
    diesel::insert_into(deauthorizations::table)
        .values((
            deauthorizations::app_scoped_user_id.eq(user_id),
            deauthorizations::profile_id.eq(profile_id),
            deauthorizations::issued_at.eq(issued_at),
            deauthorizations::tokens_revoked.eq(tokens_revoked),
        ))
        .returning(deauthorizations::id)
        .get_result(conn)
}
