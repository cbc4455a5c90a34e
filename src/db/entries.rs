//! Entries. One per person per period is a database constraint
//! (`entries_one_per_period`), so concurrent submits cannot both succeed; comment
//! entries are unique per comment id.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{contacts, entries, page_admins, votes};

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = entries)]
pub struct Entry {
    pub id: i64,
    pub contest_id: i64,
    pub page_id: i64,
    pub contact_id: i64,
    pub entry_period: String,
    pub source: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub moderated_by: Option<i64>,
    pub moderated_at: Option<DateTime<Utc>>,
    pub text: Option<String>,
    pub image_name: Option<String>,
    pub answers: serde_json::Value,
    pub comment_id: Option<String>,
    pub sentiment: Option<f64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = entries)]
pub struct NewEntry {
    pub contest_id: i64,
    pub page_id: i64,
    pub contact_id: i64,
    pub entry_period: String,
    pub source: String,
    pub status: String,
    pub text: Option<String>,
    pub image_name: Option<String>,
    pub answers: serde_json::Value,
    pub comment_id: Option<String>,
    pub sentiment: Option<f64>,
    pub ip: Option<String>,
    pub user_agent_hash: Option<String>,
}

/// Inserts an entry, or reports the existing one for that person and period.
pub fn insert(conn: &mut PgConnection, e: &NewEntry) -> QueryResult<Result<Entry, i64>> {
    let inserted = diesel::insert_into(entries::table)
        .values(e)
        .on_conflict_do_nothing()
        .returning(Entry::as_returning())
        .get_result(conn)
        .optional()?;
    match inserted {
        Some(entry) => Ok(Ok(entry)),
        None => {
            let existing = entries::table
                .filter(entries::contest_id.eq(e.contest_id))
                .filter(
                    entries::contact_id
                        .eq(e.contact_id)
                        .and(entries::entry_period.eq(&e.entry_period))
                        .or(entries::comment_id
                            .eq(&e.comment_id)
                            .and(entries::comment_id.is_not_null())),
                )
                .select(entries::id)
                .first(conn)?;
            Ok(Err(existing))
        }
    }
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Entry> {
    entries::table
        .find(id)
        .select(Entry::as_select())
        .first(conn)
}

pub fn find_for_admin(conn: &mut PgConnection, admin_id: i64, id: i64) -> QueryResult<Entry> {
    entries::table
        .filter(entries::id.eq(id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(entries::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select(Entry::as_select())
        .first(conn)
}

/// An entry with what the gallery and the moderation queue show next to it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    #[serde(flatten)]
    pub entry: Entry,
    pub author: Option<String>,
    pub votes: i64,
}

fn with_votes(
    conn: &mut PgConnection,
    rows: Vec<(Entry, Option<String>)>,
) -> QueryResult<Vec<EntryView>> {
    let ids: Vec<i64> = rows.iter().map(|(e, _)| e.id).collect();
    let counts: Vec<(i64, i64)> = votes::table
        .filter(votes::entry_id.eq_any(&ids))
        .filter(votes::voided_at.is_null())
        .group_by(votes::entry_id)
        .select((votes::entry_id, diesel::dsl::count_star()))
        .load(conn)?;
    let counts: std::collections::HashMap<i64, i64> = counts.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|(entry, author)| EntryView {
            votes: counts.get(&entry.id).copied().unwrap_or(0),
            entry,
            author,
        })
        .collect())
}

pub fn list_for_admin(
    conn: &mut PgConnection,
    admin_id: i64,
    contest_id: i64,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<EntryView>> {
    let mut q = entries::table
        .inner_join(contacts::table)
        .filter(entries::contest_id.eq(contest_id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(entries::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select((Entry::as_select(), contacts::display_name))
        .order(entries::id)
        .limit(limit)
        .offset(offset)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(entries::status.eq(s.to_string()));
    }
    let rows = q.load(conn)?;
    with_votes(conn, rows)
}

/// The next `limit` entries of a contest of the admin's with ids above `after`
/// (keyset pagination, so an export of any size reads bounded chunks).
pub fn chunk_for_admin(
    conn: &mut PgConnection,
    admin_id: i64,
    contest_id: i64,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<EntryView>> {
    let rows = entries::table
        .inner_join(contacts::table)
        .filter(entries::contest_id.eq(contest_id))
        .filter(entries::id.gt(after))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(entries::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select((Entry::as_select(), contacts::display_name))
        .order(entries::id)
        .limit(limit)
        .load(conn)?;
    with_votes(conn, rows)
}

/// Entries of one of the admin's pages in a given state, oldest first (the
/// dashboard's moderation queue spans every contest of the page).
pub fn list_for_page(
    conn: &mut PgConnection,
    admin_id: i64,
    page_id: i64,
    status: &str,
    limit: i64,
) -> QueryResult<Vec<EntryView>> {
    let rows = entries::table
        .inner_join(contacts::table)
        .filter(entries::page_id.eq(page_id))
        .filter(entries::status.eq(status.to_string()))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(entries::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select((Entry::as_select(), contacts::display_name))
        .order(entries::id)
        .limit(limit)
        .load(conn)?;
    with_votes(conn, rows)
}

/// The texts of some entries of the admin's (for labels next to votes).
pub fn texts_for_admin(
    conn: &mut PgConnection,
    admin_id: i64,
    ids: &[i64],
) -> QueryResult<Vec<(i64, Option<String>)>> {
    entries::table
        .filter(entries::id.eq_any(ids))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(entries::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select((entries::id, entries::text))
        .load(conn)
}

/// How many entries of a contest of the admin's are in each state.
pub fn status_counts(
    conn: &mut PgConnection,
    admin_id: i64,
    contest_id: i64,
) -> QueryResult<Vec<(String, i64)>> {
    entries::table
        .filter(entries::contest_id.eq(contest_id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(entries::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .group_by(entries::status)
        .select((entries::status, diesel::dsl::count_star()))
        .load(conn)
}

/// Approved entries for the public gallery, most voted first.
pub fn gallery(
    conn: &mut PgConnection,
    contest_id: i64,
    limit: i64,
) -> QueryResult<Vec<EntryView>> {
    let rows = entries::table
        .inner_join(contacts::table)
        .filter(entries::contest_id.eq(contest_id))
        .filter(entries::status.eq("approved"))
        .select((Entry::as_select(), contacts::display_name))
        .order(entries::id)
        .limit(limit)
        .load(conn)?;
    let mut views = with_votes(conn, rows)?;
    views.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.entry.id.cmp(&b.entry.id)));
    Ok(views)
}

/// A fan's own entries in a contest.
pub fn of_contact(
    conn: &mut PgConnection,
    contest_id: i64,
    contact_id: i64,
) -> QueryResult<Vec<Entry>> {
    entries::table
        .filter(entries::contest_id.eq(contest_id))
        .filter(entries::contact_id.eq(contact_id))
        .order(entries::id)
        .select(Entry::as_select())
        .load(conn)
}

/// Every entry of these contacts, in any contest.
pub fn of_contacts(conn: &mut PgConnection, contact_ids: &[i64]) -> QueryResult<Vec<Entry>> {
    entries::table
        .filter(entries::contact_id.eq_any(contact_ids))
        .order(entries::id)
        .select(Entry::as_select())
        .load(conn)
}

/// Sets the moderation state of entries the admin may moderate; returns them.
pub fn moderate(
    conn: &mut PgConnection,
    admin_id: i64,
    ids: &[i64],
    status: &str,
    reason: Option<&str>,
) -> QueryResult<Vec<Entry>> {
    diesel::update(
        entries::table
            .filter(entries::id.eq_any(ids))
            .filter(diesel::dsl::exists(
                page_admins::table
                    .filter(page_admins::page_id.eq(entries::page_id))
                    .filter(page_admins::admin_id.eq(admin_id)),
            )),
    )
    .set((
        entries::status.eq(status),
        entries::status_reason.eq(reason),
        entries::moderated_by.eq(Some(admin_id)),
        entries::moderated_at.eq(Some(Utc::now())),
        entries::updated_at.eq(diesel::dsl::now),
    ))
    .returning(Entry::as_returning())
    .get_results(conn)
}

/// A comment entry follows its comment: edited text, or disqualified on removal.
pub fn update_comment_entry(
    conn: &mut PgConnection,
    comment_id: &str,
    text: Option<&str>,
    removed: bool,
) -> QueryResult<usize> {
    let target = entries::table.filter(entries::comment_id.eq(comment_id));
    if removed {
        let ids: Vec<i64> = diesel::update(target)
            .set((
                entries::status.eq("disqualified"),
                entries::status_reason.eq("the comment was removed"),
                entries::updated_at.eq(diesel::dsl::now),
            ))
            .returning(entries::id)
            .get_results(conn)?;
        // A removed comment is no entry: what it earned is taken back.
        super::points::settle_entries(conn, &ids, None)?;
        Ok(ids.len())
    } else {
        diesel::update(target)
            .set((
                entries::text.eq(text),
                entries::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
    }
}

/// Contact merges: entries move to the survivor. When both people had an entry
/// for the same period, the later one is disqualified as a duplicate identity and
/// its period renamed so the constraint holds.
pub fn merge_contacts(
    conn: &mut PgConnection,
    survivor: i64,
    others: &[i64],
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE entries e SET status = 'disqualified', status_reason = 'duplicate identity (merged contacts)', \
           entry_period = 'dup:' || e.id, updated_at = now() \
         WHERE e.contact_id = ANY($2) AND EXISTS (SELECT 1 FROM entries s WHERE s.contact_id = $1 \
           AND s.contest_id = e.contest_id AND s.entry_period = e.entry_period)",
    )
    .bind::<diesel::sql_types::BigInt, _>(survivor)
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(others)
    .execute(conn)?;
    diesel::update(entries::table.filter(entries::contact_id.eq_any(others)))
        .set(entries::contact_id.eq(survivor))
        .execute(conn)
}

/// A contact's entries, newest first (the contact page and the CRM API).
pub fn all_of_contact(
    conn: &mut PgConnection,
    contact_id: i64,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    entries::table
        .filter(entries::contact_id.eq(contact_id))
        .order(entries::id.desc())
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)
}
