//! Voting: one vote per voter per entry per period (a database constraint), only
//! while the contest is open and only for approved entries. The voter is a fan
//! session (a Facebook login or a confirmed email). Each vote records fraud
//! signals for admins: the IP, a user-agent hash, the IP's recent vote count, and
//! how new the voter's identity is.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use serde_json::json;

use crate::db::activities::{self, NewActivity};
use crate::db::contacts::{self, Observation};
use crate::db::contests::Contest;
use crate::db::entries;
use crate::db::votes::{self, NewVote};
use crate::domain::contest::{period_key, Kind, Limit, Status};
use crate::error::AppError;

/// A verified voter identity from the fan session.
#[derive(Debug, Clone)]
pub enum Voter {
    Facebook { asid: String, name: Option<String> },
    Email { email: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    Counted(i64),
    AlreadyVoted,
}

pub struct VoteRequest<'a> {
    pub contest: &'a Contest,
    pub entry_id: i64,
    pub voter: &'a Voter,
    pub ip: Option<String>,
    pub user_agent_hash: Option<String>,
    pub now: DateTime<Utc>,
}

pub fn vote(conn: &mut PgConnection, r: VoteRequest<'_>) -> Result<VoteOutcome, AppError> {
    let contest = r.contest;
    let status = contest.effective_status(r.now);
    if status != Status::Open {
        return Err(AppError::conflict(
            "contest_not_open",
            "voting is only possible while the contest is open",
        )
        .with_details(json!({"status": status.as_str()})));
    }
    if contest.kind() != Kind::Ugc || !contest.voting_enabled {
        return Err(AppError::conflict(
            "voting_disabled",
            "this contest has no community voting",
        ));
    }
    let entry =
        entries::find(conn, r.entry_id).map_err(|_| AppError::not_found("no such entry"))?;
    if entry.contest_id != contest.id {
        return Err(AppError::not_found("no such entry in this contest"));
    }
    if entry.status != "approved" {
        return Err(AppError::conflict(
            "entry_not_approved",
            "this entry is not open for votes",
        ));
    }
    let observation = match r.voter {
        Voter::Facebook { asid, name } => Observation {
            page_id: contest.page_id,
            asid: Some(asid.clone()),
            display_name: name.clone(),
            source: "login",
            ..Default::default()
        },
        Voter::Email { email } => Observation {
            page_id: contest.page_id,
            email: Some(email.clone()),
            source: "fan_page",
            ..Default::default()
        },
    };
    let voter = contacts::resolve(conn, &observation)?.contact_id;
    let voter_contact = contacts::find(conn, voter)?;
    let ip_recent = match &r.ip {
        Some(ip) => votes::recent_from_ip(conn, ip)?,
        None => 0,
    };
    let limit = Limit::parse(&contest.vote_limit).unwrap_or(Limit::Once);
    let cast = votes::cast(
        conn,
        &NewVote {
            contest_id: contest.id,
            entry_id: entry.id,
            voter_contact_id: voter,
            vote_period: period_key(limit, &contest.time_zone, r.now),
            ip: r.ip.clone(),
            user_agent_hash: r.user_agent_hash.clone(),
            ip_votes_last_10m: ip_recent.min(i64::from(i32::MAX)) as i32,
            voter_age_secs: (r.now - voter_contact.first_seen_at).num_seconds().max(0),
        },
    )?;
    let Some(vote_id) = cast else {
        return Ok(VoteOutcome::AlreadyVoted);
    };
    for (contact, kind) in [(voter, "vote_cast"), (entry.contact_id, "vote_received")] {
        activities::record(
            conn,
            &NewActivity {
                page_id: contest.page_id,
                contact_id: Some(contact),
                visitor_id: None,
                contest_id: Some(contest.id),
                kind,
                occurred_at: r.now,
                details: json!({"vote_id": vote_id, "entry_id": entry.id}),
                dedupe_key: Some(format!("{kind}:{vote_id}")),
            },
        )?;
    }
    crate::domain::hooks::after_vote(conn, contest, &entry, vote_id, r.now)?;
    crate::jobs::handlers::segments_refresh::queue(conn)?;
    Ok(VoteOutcome::Counted(vote_id))
}

/// Voids a vote of a contest the admin manages, with a reason (1 to 500
/// characters) kept with the vote and in the audit log. Voided votes stop counting.
pub fn void(
    conn: &mut PgConnection,
    admin: i64,
    vote_id: i64,
    reason: &str,
) -> Result<votes::Vote, AppError> {
    let reason = crate::domain::input::text("reason", reason, 1, 500)?;
    let (vote, page_id) = votes::void(conn, admin, vote_id, &reason)?;
    // The author's vote_received points for it are taken back.
    let contest = crate::db::contests::find(conn, vote.contest_id)?;
    crate::domain::points::reverse(
        conn,
        &contest,
        &format!("vote:{vote_id}"),
        &format!("vote voided: {reason}"),
        Some(admin),
        chrono::Utc::now(),
    )?;
    crate::db::audit::record(
        conn,
        crate::db::audit::Audit {
            page_id: Some(page_id),
            admin_id: Some(admin),
            action: "vote.voided",
            subject_type: "vote",
            subject_id: Some(vote_id),
            details: json!({"reason": reason, "entry_id": vote.entry_id}),
        },
    )?;
    Ok(vote)
}
