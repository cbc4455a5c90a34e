//! Consents, append-only: each records what was agreed, when, and the version of
//! the text shown.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::consents;

pub fn record(
    conn: &mut PgConnection,
    contact_id: i64,
    contest_id: Option<i64>,
    entry_id: Option<i64>,
    kind: &str,
    granted: bool,
    text_version: &str,
) -> QueryResult<()> {
    diesel::insert_into(consents::table)
        .values((
            consents::contact_id.eq(contact_id),
            consents::contest_id.eq(contest_id),
            consents::entry_id.eq(entry_id),
            consents::kind.eq(kind),
            consents::granted.eq(granted),
            consents::text_version.eq(text_version),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = consents)]
pub struct Consent {
    pub kind: String,
    pub granted: bool,
    pub text_version: String,
    pub contest_id: Option<i64>,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
}

pub fn of_contact(conn: &mut PgConnection, contact_id: i64) -> QueryResult<Vec<Consent>> {
    consents::table
        .filter(consents::contact_id.eq(contact_id))
        .order(consents::recorded_at.desc())
        .select(Consent::as_select())
        .load(conn)
}

/// The latest marketing decision of a contact (exports honour it).
pub fn marketing_opt_in(conn: &mut PgConnection, contact_id: i64) -> QueryResult<bool> {
    Ok(consents::table
        .filter(consents::contact_id.eq(contact_id))
        .filter(consents::kind.eq("marketing"))
        .order(consents::recorded_at.desc())
        .select(consents::granted)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}
