//! Comment-to-enter: a comment on a contest's linked post is an entry under that
//! contest's rules, whether it arrives by webhook or by a backfill that pages
//! through the post's comments to the very end. Keyed by comment id, so both paths
//! (and replays) produce one entry.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use serde_json::json;

use crate::db::contacts::{self, Observation};
use crate::db::contests::Contest;
use crate::db::entries::{self, NewEntry};
use crate::domain::contest::{period_key, Kind, Limit, Status};
use crate::error::AppError;

pub struct CommentSeen<'a> {
    pub comment_id: &'a str,
    pub post_id: &'a str,
    pub sender_id: &'a str,
    pub sender_name: Option<&'a str>,
    pub message: Option<&'a str>,
    pub created_time: DateTime<Utc>,
}

/// The outcome for one contest.
#[derive(Debug, PartialEq, Eq)]
pub enum CommentEntry {
    Created(i64),
    AlreadyEntered,
    /// Not an entry: the contest was not open when the comment was made.
    NotOpen,
}

/// Turns a comment into an entry of `contest` (a comment_to_enter contest linked to
/// its post). The contest must have been open when the comment was written.
pub fn enter_by_comment(
    conn: &mut PgConnection,
    contest: &Contest,
    c: &CommentSeen<'_>,
) -> Result<CommentEntry, AppError> {
    if contest.kind() != Kind::CommentToEnter
        || contest.linked_post_id.as_deref() != Some(c.post_id)
    {
        return Ok(CommentEntry::NotOpen);
    }
    if !within_window(contest, c.created_time) {
        return Ok(CommentEntry::NotOpen);
    }
    let contact = contacts::resolve(
        conn,
        &Observation {
            page_id: contest.page_id,
            psid: Some(c.sender_id.to_string()),
            display_name: c.sender_name.map(str::to_string),
            source: "comment",
            ..Default::default()
        },
    )?
    .contact_id;
    let limit = Limit::parse(&contest.entry_limit).unwrap_or(Limit::Once);
    let text = c.message.map(str::to_string);
    let outcome = entries::insert(
        conn,
        &NewEntry {
            contest_id: contest.id,
            page_id: contest.page_id,
            contact_id: contact,
            entry_period: period_key(limit, &contest.time_zone, c.created_time),
            source: "comment".into(),
            status: if contest.auto_approve {
                "approved"
            } else {
                "pending"
            }
            .into(),
            sentiment: text.as_deref().map(crate::domain::sentiment::score),
            text,
            image_name: None,
            answers: json!([]),
            comment_id: Some(c.comment_id.to_string()),
            ip: None,
            user_agent_hash: None,
        },
    )?;
    Ok(match outcome {
        Ok(e) => {
            crate::db::activities::record(
                conn,
                &crate::db::activities::NewActivity {
                    page_id: contest.page_id,
                    contact_id: Some(contact),
                    visitor_id: None,
                    contest_id: Some(contest.id),
                    kind: "entry",
                    occurred_at: c.created_time,
                    details: json!({"entry_id": e.id, "source": "comment", "comment_id": c.comment_id, "sentiment": e.sentiment}),
                    dedupe_key: Some(format!("entry:{}", e.id)),
                },
            )?;
            // Points and a referral code, like any entry (a comment carries no
            // attribution cookie, so it is never a referral conversion).
            crate::domain::hooks::after_entry(
                conn,
                contest,
                &e,
                &crate::domain::entering::Entrant::default(),
                c.created_time,
            )?;
            CommentEntry::Created(e.id)
        }
        Err(_) => CommentEntry::AlreadyEntered,
    })
}

/// Was the contest open when the comment was written? (A comment processed late,
/// after closing, still counts if it was written in time; one written before the
/// contest opened never does.)
fn within_window(contest: &Contest, at: DateTime<Utc>) -> bool {
    let start = match (contest.opened_at, contest.opens_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let end = match (contest.closed_at, contest.closes_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    // Facebook timestamps have whole seconds: compare at that resolution.
    let started = start.is_some_and(|s| at.timestamp() >= s.timestamp())
        && matches!(
            contest.status(),
            Status::Open | Status::Closed | Status::WinnersAnnounced
        );
    started && end.is_none_or(|e| at < e)
}
