//! Extension points run inside the transaction that stores an entry, a vote, a
//! page view or a contest transition, so what engagement adds (points,
//! referral conversions, the draw commitment) commits with it or not at all.
//! The rules themselves live in `domain::points`, `domain::referrals` and
//! `domain::winners`; this file only says what happens when.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;

use crate::crypto::tokens::TokenCipher;
use crate::db::contests::Contest;
use crate::db::entries::Entry;
use crate::domain::contest::Status;
use crate::domain::entering::Entrant;
use crate::domain::points::{self, AwardRequest, PointRules, Reason};
use crate::error::AppError;

/// A stored entry: `entry` points, `bonus_question` points for each paying
/// answer, a referral conversion when the entrant arrived through a link, and
/// the entrant's own referral code.
pub fn after_entry(
    conn: &mut PgConnection,
    contest: &Contest,
    entry: &Entry,
    entrant: &Entrant,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let contact = entry.contact_id;
    points::award(
        conn,
        AwardRequest::by_rule(
            contest,
            contact,
            Reason::Entry,
            format!("entry:{}", entry.id),
            now,
        ),
    )?;
    for question in PointRules::of(contest).bonus_questions_earned(&entry.answers) {
        points::award(
            conn,
            AwardRequest::by_rule(
                contest,
                contact,
                Reason::BonusQuestion,
                format!("bonus:{}:{question}", entry.id),
                now,
            ),
        )?;
    }
    crate::domain::referrals::after_entry(conn, contest, entry, entrant.referral.as_deref(), now)
}

/// A counted vote: `vote_received` points for the entry's author.
pub fn after_vote(
    conn: &mut PgConnection,
    contest: &Contest,
    entry: &Entry,
    vote_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    points::award(
        conn,
        AwardRequest::by_rule(
            contest,
            entry.contact_id,
            Reason::VoteReceived,
            format!("vote:{vote_id}"),
            now,
        ),
    )?;
    Ok(())
}

/// A page view by a known person while the contest is open: `daily_visit`
/// points, once per person and local day.
pub fn after_view(
    conn: &mut PgConnection,
    contest: &Contest,
    contact_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if contest.effective_status(now) != Status::Open {
        return Ok(());
    }
    let day = points::local_day(contest, now);
    points::award(
        conn,
        AwardRequest::by_rule(
            contest,
            contact_id,
            Reason::DailyVisit,
            format!("visit:{contact_id}:{day}"),
            now,
        ),
    )?;
    Ok(())
}

/// The SHA-256 commitment to a contest's draw seed, published on its rules page
/// once the contest is scheduled or open.
pub async fn published_commitment(
    state: &crate::state::AppState,
    contest_id: i64,
) -> Result<Option<String>, AppError> {
    state
        .db
        .run(move |c| Ok(crate::db::draws::commitment(c, contest_id)?))
        .await
}

/// Runs when a contest enters a new state. Being scheduled or opening commits
/// to the draw seed (closing does too, for a contest the clock took from
/// scheduled straight to closed); announcing winners needs winners picked.
pub fn on_contest_state(
    conn: &mut PgConnection,
    contest: &Contest,
    to: Status,
    cipher: &TokenCipher,
) -> Result<(), AppError> {
    match to {
        Status::Scheduled | Status::Open | Status::Closed => {
            crate::domain::winners::commit_seed(conn, cipher, contest)
        }
        Status::WinnersAnnounced => {
            if crate::db::draws::find_draw(conn, contest.id)?.is_none() {
                return Err(AppError::conflict(
                    "no_winners",
                    format!(
                        "pick the winners (POST /api/v1/contests/{}/draw) before announcing them",
                        contest.id
                    ),
                ));
            }
            Ok(())
        }
        Status::Draft | Status::PrizePoll => Ok(()),
    }
}
