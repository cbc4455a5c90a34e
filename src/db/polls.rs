//! Prize polls, fans' prize suggestions and their votes. One poll per contest,
//! one suggestion per person per poll and one vote per voter per suggestion per
//! period are constraints. Admin lookups join `page_admins` (tenancy).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use serde::Serialize;

use super::schema::{page_admins, poll_suggestions, poll_votes, prize_polls};

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = prize_polls)]
pub struct Poll {
    pub id: i64,
    pub contest_id: i64,
    pub page_id: i64,
    pub budget_minor: i64,
    pub currency: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub adopted_suggestion_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

pub struct NewPoll<'a> {
    pub contest_id: i64,
    pub page_id: i64,
    pub budget_minor: i64,
    pub currency: &'a str,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub created_by: i64,
}

/// `None` when the contest already has a poll.
pub fn create(conn: &mut PgConnection, p: &NewPoll<'_>) -> QueryResult<Option<Poll>> {
    diesel::insert_into(prize_polls::table)
        .values((
            prize_polls::contest_id.eq(p.contest_id),
            prize_polls::page_id.eq(p.page_id),
            prize_polls::budget_minor.eq(p.budget_minor),
            prize_polls::currency.eq(p.currency),
            prize_polls::opens_at.eq(p.opens_at),
            prize_polls::closes_at.eq(p.closes_at),
            prize_polls::created_by.eq(Some(p.created_by)),
        ))
        .on_conflict_do_nothing()
        .returning(Poll::as_returning())
        .get_result(conn)
        .optional()
}

pub fn for_contest(conn: &mut PgConnection, contest_id: i64) -> QueryResult<Option<Poll>> {
    prize_polls::table
        .filter(prize_polls::contest_id.eq(contest_id))
        .select(Poll::as_select())
        .first(conn)
        .optional()
}

/// A poll of a page the admin manages, locked for the caller's transaction.
pub fn lock_for_admin(conn: &mut PgConnection, admin_id: i64, id: i64) -> QueryResult<Poll> {
    prize_polls::table
        .filter(prize_polls::id.eq(id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(prize_polls::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .for_update()
        .select(Poll::as_select())
        .first(conn)
}

pub fn find_for_admin(conn: &mut PgConnection, admin_id: i64, id: i64) -> QueryResult<Poll> {
    prize_polls::table
        .filter(prize_polls::id.eq(id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(prize_polls::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select(Poll::as_select())
        .first(conn)
}

pub fn close(conn: &mut PgConnection, id: i64, at: DateTime<Utc>) -> QueryResult<Poll> {
    diesel::update(prize_polls::table.find(id))
        .set((
            prize_polls::closed_at.eq(Some(at)),
            prize_polls::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Poll::as_returning())
        .get_result(conn)
}

pub fn set_adopted(conn: &mut PgConnection, id: i64, suggestion_id: i64) -> QueryResult<Poll> {
    diesel::update(prize_polls::table.find(id))
        .set((
            prize_polls::adopted_suggestion_id.eq(Some(suggestion_id)),
            prize_polls::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Poll::as_returning())
        .get_result(conn)
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = poll_suggestions)]
pub struct Suggestion {
    pub id: i64,
    pub poll_id: i64,
    pub contest_id: i64,
    pub page_id: i64,
    pub contact_id: i64,
    pub title: String,
    pub value_minor: i64,
    pub url: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub moderated_by: Option<i64>,
    pub moderated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub struct NewSuggestion<'a> {
    pub poll: &'a Poll,
    pub contact_id: i64,
    pub title: &'a str,
    pub value_minor: i64,
    pub url: Option<&'a str>,
}

/// `Err(existing id)` when this person already suggested something.
pub fn suggest(
    conn: &mut PgConnection,
    s: &NewSuggestion<'_>,
) -> QueryResult<Result<Suggestion, i64>> {
    let inserted = diesel::insert_into(poll_suggestions::table)
        .values((
            poll_suggestions::poll_id.eq(s.poll.id),
            poll_suggestions::contest_id.eq(s.poll.contest_id),
            poll_suggestions::page_id.eq(s.poll.page_id),
            poll_suggestions::contact_id.eq(s.contact_id),
            poll_suggestions::title.eq(s.title),
            poll_suggestions::value_minor.eq(s.value_minor),
            poll_suggestions::url.eq(s.url),
        ))
        .on_conflict_do_nothing()
        .returning(Suggestion::as_returning())
        .get_result(conn)
        .optional()?;
    match inserted {
        Some(row) => Ok(Ok(row)),
        None => Ok(Err(poll_suggestions::table
            .filter(poll_suggestions::poll_id.eq(s.poll.id))
            .filter(poll_suggestions::contact_id.eq(s.contact_id))
            .filter(poll_suggestions::slot.eq("one"))
            .select(poll_suggestions::id)
            .first(conn)?)),
    }
}

pub fn find_suggestion(conn: &mut PgConnection, id: i64) -> QueryResult<Suggestion> {
    poll_suggestions::table
        .find(id)
        .select(Suggestion::as_select())
        .first(conn)
}

pub fn find_suggestion_for_admin(
    conn: &mut PgConnection,
    admin_id: i64,
    id: i64,
) -> QueryResult<Suggestion> {
    poll_suggestions::table
        .filter(poll_suggestions::id.eq(id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(poll_suggestions::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select(Suggestion::as_select())
        .first(conn)
}

pub fn moderate(
    conn: &mut PgConnection,
    id: i64,
    admin_id: i64,
    status: &str,
    reason: Option<&str>,
) -> QueryResult<Suggestion> {
    diesel::update(poll_suggestions::table.find(id))
        .set((
            poll_suggestions::status.eq(status),
            poll_suggestions::status_reason.eq(reason),
            poll_suggestions::moderated_by.eq(Some(admin_id)),
            poll_suggestions::moderated_at.eq(Some(Utc::now())),
            poll_suggestions::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Suggestion::as_returning())
        .get_result(conn)
}

/// A suggestion with its vote count and suggester's name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuggestionView {
    #[serde(flatten)]
    pub suggestion: Suggestion,
    pub votes: i64,
    pub suggested_by: Option<String>,
}

/// A poll's suggestions, optionally of one status: most voted first, then oldest.
pub fn list(
    conn: &mut PgConnection,
    poll_id: i64,
    status: Option<&str>,
) -> QueryResult<Vec<SuggestionView>> {
    use super::schema::contacts;
    let mut q = poll_suggestions::table
        .inner_join(contacts::table)
        .filter(poll_suggestions::poll_id.eq(poll_id))
        .select((Suggestion::as_select(), contacts::display_name))
        .order(poll_suggestions::id)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(poll_suggestions::status.eq(s.to_string()));
    }
    let rows: Vec<(Suggestion, Option<String>)> = q.load(conn)?;
    let counts: Vec<(i64, i64)> = poll_votes::table
        .filter(poll_votes::poll_id.eq(poll_id))
        .group_by(poll_votes::suggestion_id)
        .select((poll_votes::suggestion_id, diesel::dsl::count_star()))
        .load(conn)?;
    let counts: std::collections::HashMap<i64, i64> = counts.into_iter().collect();
    let mut views: Vec<SuggestionView> = rows
        .into_iter()
        .map(|(suggestion, suggested_by)| SuggestionView {
            votes: counts.get(&suggestion.id).copied().unwrap_or(0),
            suggestion,
            suggested_by,
        })
        .collect();
    views.sort_by(|a, b| {
        b.votes
            .cmp(&a.votes)
            .then(a.suggestion.id.cmp(&b.suggestion.id))
    });
    Ok(views)
}

pub struct NewPollVote<'a> {
    pub poll_id: i64,
    pub suggestion_id: i64,
    pub voter: i64,
    pub period: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent_hash: Option<&'a str>,
}

/// The vote id, or `None` when the voter already voted for it in the period.
pub fn cast(conn: &mut PgConnection, v: &NewPollVote<'_>) -> QueryResult<Option<i64>> {
    diesel::insert_into(poll_votes::table)
        .values((
            poll_votes::poll_id.eq(v.poll_id),
            poll_votes::suggestion_id.eq(v.suggestion_id),
            poll_votes::voter_contact_id.eq(v.voter),
            poll_votes::vote_period.eq(v.period),
            poll_votes::ip.eq(v.ip),
            poll_votes::user_agent_hash.eq(v.user_agent_hash),
        ))
        .on_conflict_do_nothing()
        .returning(poll_votes::id)
        .get_result(conn)
        .optional()
}

/// Which suggestions of the poll this voter voted for in the period.
pub fn voted_by(
    conn: &mut PgConnection,
    poll_id: i64,
    voter: i64,
    period: &str,
) -> QueryResult<Vec<i64>> {
    poll_votes::table
        .filter(poll_votes::poll_id.eq(poll_id))
        .filter(poll_votes::voter_contact_id.eq(voter))
        .filter(poll_votes::vote_period.eq(period))
        .select(poll_votes::suggestion_id)
        .load(conn)
}

/// Everyone who took part before launch, with what they did: the CRM segments
/// on it ("engaged before launch").
#[derive(QueryableByName, Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Participant {
    #[diesel(sql_type = BigInt)]
    pub contact_id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub display_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub suggestions: i64,
    #[diesel(sql_type = BigInt)]
    pub votes: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub first_at: DateTime<Utc>,
}

pub fn participants(conn: &mut PgConnection, poll_id: i64) -> QueryResult<Vec<Participant>> {
    diesel::sql_query(
        "SELECT p.contact_id, c.display_name, \
                count(*) FILTER (WHERE p.what = 'suggestion') AS suggestions, \
                count(*) FILTER (WHERE p.what = 'vote') AS votes, min(p.at) AS first_at \
         FROM (SELECT contact_id, 'suggestion' AS what, created_at AS at FROM poll_suggestions WHERE poll_id = $1 \
               UNION ALL \
               SELECT voter_contact_id, 'vote', created_at FROM poll_votes WHERE poll_id = $1) p \
         JOIN contacts c ON c.id = p.contact_id \
         GROUP BY p.contact_id, c.display_name ORDER BY min(p.at), p.contact_id",
    )
    .bind::<BigInt, _>(poll_id)
    .load(conn)
}

/// Contact merges: suggestions move to the survivor; when both people suggested
/// in the same poll, the later suggestion is rejected as a duplicate identity
/// and moved out of the one-per-person slot.
pub fn merge_suggestions(
    conn: &mut PgConnection,
    survivor: i64,
    others: &[i64],
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE poll_suggestions s SET status = 'rejected', \
           status_reason = 'duplicate identity (merged contacts)', slot = 'dup:' || s.id, updated_at = now() \
         WHERE s.contact_id = ANY($2) AND s.slot = 'one' AND EXISTS ( \
           SELECT 1 FROM poll_suggestions o WHERE o.poll_id = s.poll_id AND o.slot = 'one' \
             AND (o.contact_id = $1 OR (o.contact_id = ANY($2) AND o.id < s.id)))",
    )
    .bind::<BigInt, _>(survivor)
    .bind::<Array<BigInt>, _>(others)
    .execute(conn)?;
    diesel::update(poll_suggestions::table.filter(poll_suggestions::contact_id.eq_any(others)))
        .set(poll_suggestions::contact_id.eq(survivor))
        .execute(conn)
}

/// Contact merges: like entry votes, a duplicate vote (both people voted for the
/// same suggestion in the same period) is dropped, so merged people count once.
pub fn merge_votes(conn: &mut PgConnection, survivor: i64, others: &[i64]) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM poll_votes v WHERE v.voter_contact_id = ANY($2) AND EXISTS ( \
           SELECT 1 FROM poll_votes s WHERE s.suggestion_id = v.suggestion_id AND s.vote_period = v.vote_period \
             AND (s.voter_contact_id = $1 OR (s.voter_contact_id = ANY($2) AND s.id < v.id)))",
    )
    .bind::<BigInt, _>(survivor)
    .bind::<Array<BigInt>, _>(others)
    .execute(conn)?;
    diesel::update(poll_votes::table.filter(poll_votes::voter_contact_id.eq_any(others)))
        .set(poll_votes::voter_contact_id.eq(survivor))
        .execute(conn)
}

/// Erasure: a suggestion is the fan's own words and link; it is blanked and
/// withdrawn (its votes stay in the counts, anonymously).
pub fn erase_suggestions(conn: &mut PgConnection, contact_ids: &[i64]) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE poll_suggestions SET title = '[erased]', url = NULL, status = 'rejected', \
           status_reason = 'erased at the suggester''s request', updated_at = now() \
         WHERE contact_id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(contact_ids)
    .execute(conn)
}

pub fn erase_vote_signals(conn: &mut PgConnection, contact_ids: &[i64]) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE poll_votes SET ip = NULL, user_agent_hash = NULL WHERE voter_contact_id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(contact_ids)
    .execute(conn)
}
