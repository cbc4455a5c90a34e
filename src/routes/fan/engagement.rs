//! What the fan page shows about engagement: the top campaigners, the prize
//! poll and the winners once announced (the same for every fan), and the fan's
//! own invite link, points and poll votes (`super::me`). Never creates anyone.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::pg::PgConnection;

use crate::db::contests::Contest;
use crate::db::{draws, points as ledger, polls, referrals};
use crate::domain::contest::{period_key, Limit, Status};
use crate::domain::prize_poll;
use crate::error::AppError;

pub struct LeaderRow {
    pub rank: usize,
    pub name: String,
    pub points: i64,
}

pub struct SuggestionItem {
    pub id: i64,
    pub title: String,
    pub value: String,
    pub url: Option<String>,
    pub votes: i64,
    pub adopted: bool,
}

pub struct PollView {
    pub budget: String,
    pub closes: String,
    pub open: bool,
    /// Set while the poll has not opened yet: when it will.
    pub opens: Option<String>,
    pub suggestions: Vec<SuggestionItem>,
}

pub struct WinnerItem {
    pub slot: i32,
    pub name: String,
    pub text: Option<String>,
}

pub struct WinnersView {
    pub method: String,
    pub winners: Vec<WinnerItem>,
    /// Random draws: the published commitment and the revealed seed.
    pub commitment: Option<String>,
    pub seed: Option<String>,
}

/// What every fan sees the same (cached per contest, `super::shared`).
#[derive(Default)]
pub struct SharedEngagement {
    pub leaders: Vec<LeaderRow>,
    pub poll: Option<PollView>,
    pub winners: Option<WinnersView>,
}

/// What only this fan sees (`super::me`).
#[derive(Default)]
pub struct MyEngagement {
    pub referral_code: Option<String>,
    pub my_points: Option<i64>,
    /// Rank on the top-campaigners list, when on it.
    pub rank: Option<usize>,
    /// Prize suggestions this fan voted for in the current period.
    pub poll_voted: Vec<i64>,
    /// The fan's own suggestion and its moderation status.
    pub poll_mine: Option<(String, &'static str)>,
}

/// "Ana Lima" → "Ana L.": enough for a public list, not a full name.
pub fn short_name(name: Option<&str>) -> String {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let Some(name) = name else {
        return "A fan".into();
    };
    let mut parts = name.split_whitespace();
    let first = parts.next().unwrap_or("A fan");
    match parts.last().and_then(|l| l.chars().next()) {
        Some(initial) => format!("{first} {initial}."),
        None => first.to_string(),
    }
}

fn local(t: DateTime<Utc>, tz: &str) -> String {
    let tz: Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    t.with_timezone(&tz)
        .format("%b %-d, %Y %H:%M %Z")
        .to_string()
}

/// The leaderboard, prize poll and winners: the same for every fan.
pub fn load_shared(
    conn: &mut PgConnection,
    contest: &Contest,
    now: DateTime<Utc>,
) -> Result<SharedEngagement, AppError> {
    let mut out = SharedEngagement {
        leaders: ledger::top_balances(conn, contest.id, 10)?
            .iter()
            .filter(|r| r.points > 0)
            .enumerate()
            .map(|(i, r)| LeaderRow {
                rank: i + 1,
                name: short_name(r.display_name.as_deref()),
                points: r.points,
            })
            .collect(),
        ..Default::default()
    };
    if let Some(poll) = polls::for_contest(conn, contest.id)? {
        let open = prize_poll::is_open(&poll, contest, now);
        out.poll = Some(PollView {
            budget: prize_poll::format_amount(poll.budget_minor, &poll.currency),
            closes: local(poll.closes_at, &contest.time_zone),
            opens: (now < poll.opens_at && poll.closed_at.is_none())
                .then(|| local(poll.opens_at, &contest.time_zone)),
            open,
            suggestions: polls::list(conn, poll.id, Some("approved"))?
                .into_iter()
                .map(|s| SuggestionItem {
                    id: s.suggestion.id,
                    adopted: poll.adopted_suggestion_id == Some(s.suggestion.id),
                    value: prize_poll::format_amount(s.suggestion.value_minor, &poll.currency),
                    title: s.suggestion.title,
                    url: s.suggestion.url,
                    votes: s.votes,
                })
                .collect(),
        });
    }
    if let Some(draw) = draws::find_draw(conn, contest.id)? {
        if contest.effective_status(now) == Status::WinnersAnnounced {
            let record = draw.record.as_ref();
            out.winners = Some(WinnersView {
                method: draw.method.clone(),
                winners: draws::pick_views(conn, draw.id)?
                    .into_iter()
                    .filter(|p| p.status == "won")
                    .map(|p| WinnerItem {
                        slot: p.prize_slot.unwrap_or_default(),
                        name: short_name(p.author.as_deref()),
                        text: p.entry_text,
                    })
                    .collect(),
                commitment: record
                    .and_then(|r| r.get("commitment"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                seed: record
                    .and_then(|r| r.get("seed"))
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            });
        }
    }
    Ok(out)
}

/// The fan `me`'s own invite code, points, rank, poll votes and suggestion.
pub fn load_mine(
    conn: &mut PgConnection,
    contest: &Contest,
    me: i64,
    now: DateTime<Utc>,
) -> Result<MyEngagement, AppError> {
    let mut out = MyEngagement {
        referral_code: referrals::code_of(conn, contest.id, me)?,
        ..Default::default()
    };
    let balance = ledger::balance(conn, contest.id, me)?;
    out.my_points = (balance != 0 || out.referral_code.is_some()).then_some(balance);
    out.rank = ledger::top_balances(conn, contest.id, 10)?
        .iter()
        .filter(|r| r.points > 0)
        .position(|r| r.contact_id == me)
        .map(|i| i + 1);
    if let Some(poll) = polls::for_contest(conn, contest.id)? {
        let limit = Limit::parse(&contest.vote_limit).unwrap_or(Limit::Once);
        out.poll_voted = polls::voted_by(
            conn,
            poll.id,
            me,
            &period_key(limit, &contest.time_zone, now),
        )?;
        out.poll_mine = polls::list(conn, poll.id, None)?
            .into_iter()
            .find(|s| s.suggestion.contact_id == me)
            .map(|s| {
                let label = match s.suggestion.status.as_str() {
                    "approved" => "approved",
                    "rejected" => "not accepted",
                    _ => "waiting for review",
                };
                (s.suggestion.title, label)
            });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::short_name;

    #[test]
    fn public_names_are_shortened() {
        assert_eq!(short_name(Some("Ana Lima")), "Ana L.");
        assert_eq!(short_name(Some("  Ana  de la Cruz ")), "Ana C.");
        assert_eq!(short_name(Some("Cher")), "Cher");
        assert_eq!(short_name(Some(" ")), "A fan");
        assert_eq!(short_name(None), "A fan");
    }
}
