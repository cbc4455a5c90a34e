//! Votes. One vote per voter per entry per period is a database constraint, so
//! 50 concurrent identical votes count once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{contacts, page_admins, votes};

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = votes)]
pub struct NewVote {
    pub contest_id: i64,
    pub entry_id: i64,
    pub voter_contact_id: i64,
    pub vote_period: String,
    pub ip: Option<String>,
    pub user_agent_hash: Option<String>,
    pub ip_votes_last_10m: i32,
    pub voter_age_secs: i64,
}

/// Returns the vote id, or `None` when this voter already voted in the period.
pub fn cast(conn: &mut PgConnection, v: &NewVote) -> QueryResult<Option<i64>> {
    diesel::insert_into(votes::table)
        .values(v)
        .on_conflict_do_nothing()
        .returning(votes::id)
        .get_result(conn)
        .optional()
}

/// Votes from one IP in the last ten minutes (a burst signal).
pub fn recent_from_ip(conn: &mut PgConnection, ip: &str) -> QueryResult<i64> {
    votes::table
        .filter(votes::ip.eq(ip))
        .filter(votes::created_at.gt(Utc::now() - chrono::Duration::minutes(10)))
        .count()
        .get_result(conn)
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, utoipa::ToSchema)]
#[diesel(table_name = votes)]
pub struct Vote {
    pub id: i64,
    pub contest_id: i64,
    pub entry_id: i64,
    pub voter_contact_id: i64,
    pub vote_period: String,
    pub ip: Option<String>,
    pub user_agent_hash: Option<String>,
    pub ip_votes_last_10m: i32,
    pub voter_age_secs: i64,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoteView {
    #[serde(flatten)]
    pub vote: Vote,
    pub voter: Option<String>,
    /// Why an admin might look twice (bursts from one IP, brand-new identities).
    pub signals: Vec<&'static str>,
}

/// Thresholds behind the fraud signals shown to admins.
pub const BURST_THRESHOLD: i32 = 10;
pub const NEW_IDENTITY_SECS: i64 = 600;

pub fn signals(v: &Vote) -> Vec<&'static str> {
    let mut s = Vec::new();
    if v.ip_votes_last_10m >= BURST_THRESHOLD {
        s.push("ip_burst");
    }
    if v.voter_age_secs < NEW_IDENTITY_SECS {
        s.push("new_identity");
    }
    s
}

pub fn list_for_admin(
    conn: &mut PgConnection,
    admin_id: i64,
    contest_id: i64,
    flagged_only: bool,
    limit: i64,
) -> QueryResult<Vec<VoteView>> {
    use super::schema::contests;
    let rows: Vec<(Vote, Option<String>)> = votes::table
        .inner_join(contests::table)
        .inner_join(contacts::table.on(contacts::id.eq(votes::voter_contact_id)))
        .filter(votes::contest_id.eq(contest_id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(contests::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .order(votes::id.desc())
        .limit(limit)
        .select((Vote::as_select(), contacts::display_name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(vote, voter)| VoteView {
            signals: signals(&vote),
            vote,
            voter,
        })
        .filter(|v| !flagged_only || !v.signals.is_empty())
        .collect())
}

/// Voids a vote of a contest the admin manages. Returns (vote, page id).
pub fn void(
    conn: &mut PgConnection,
    admin_id: i64,
    vote_id: i64,
    reason: &str,
) -> QueryResult<(Vote, i64)> {
    use super::schema::contests;
    let page_id: i64 = votes::table
        .inner_join(contests::table)
        .filter(votes::id.eq(vote_id))
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(contests::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .select(contests::page_id)
        .first(conn)?;
    let vote = diesel::update(votes::table.find(vote_id))
        .set((
            votes::voided_at.eq(Some(Utc::now())),
            votes::void_reason.eq(reason),
            votes::voided_by.eq(Some(admin_id)),
        ))
        .returning(Vote::as_returning())
        .get_result(conn)?;
    Ok((vote, page_id))
}

/// Which of these entries the voter already voted for in the period.
pub fn voted_by(
    conn: &mut PgConnection,
    voter: i64,
    entry_ids: &[i64],
    period: &str,
) -> QueryResult<Vec<i64>> {
    votes::table
        .filter(votes::voter_contact_id.eq(voter))
        .filter(votes::entry_id.eq_any(entry_ids))
        .filter(votes::vote_period.eq(period))
        .select(votes::entry_id)
        .load(conn)
}

/// Contact merges: votes move to the survivor; a duplicate vote (both people voted
/// for the same entry in the same period) is dropped, so merged people count once.
pub fn merge_contacts(
    conn: &mut PgConnection,
    survivor: i64,
    others: &[i64],
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM votes v WHERE v.voter_contact_id = ANY($2) AND EXISTS (SELECT 1 FROM votes s \
           WHERE s.voter_contact_id = $1 AND s.entry_id = v.entry_id AND s.vote_period = v.vote_period)",
    )
    .bind::<diesel::sql_types::BigInt, _>(survivor)
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(others)
    .execute(conn)?;
    diesel::update(votes::table.filter(votes::voter_contact_id.eq_any(others)))
        .set(votes::voter_contact_id.eq(survivor))
        .execute(conn)
}

/// Counted (not voided) votes in a contest of the admin's.
pub fn count_for_admin(
    conn: &mut PgConnection,
    admin_id: i64,
    contest_id: i64,
) -> QueryResult<i64> {
    use super::schema::contests;
    votes::table
        .inner_join(contests::table)
        .filter(votes::contest_id.eq(contest_id))
        .filter(votes::voided_at.is_null())
        .filter(diesel::dsl::exists(
            page_admins::table
                .filter(page_admins::page_id.eq(contests::page_id))
                .filter(page_admins::admin_id.eq(admin_id)),
        ))
        .count()
        .get_result(conn)
}
