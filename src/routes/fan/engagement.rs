//! What the fan page shows about engagement: the fan's invite link and points,
//! the top campaigners, the prize poll, and the winners once announced. Loaded
//! on the page's database connection, never creating anyone.

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
    pub me: bool,
}

pub struct SuggestionItem {
    pub id: i64,
    pub title: String,
    pub value: String,
    pub url: Option<String>,
    pub votes: i64,
    pub voted: bool,
    pub adopted: bool,
}

pub struct PollView {
    pub budget: String,
    pub closes: String,
    pub open: bool,
    /// Set while the poll has not opened yet: when it will.
    pub opens: Option<String>,
    pub suggestions: Vec<SuggestionItem>,
    /// The fan's own suggestion and its moderation status.
    pub mine: Option<(String, &'static str)>,
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

#[derive(Default)]
pub struct Engagement {
    pub referral_code: Option<String>,
    pub my_points: Option<i64>,
    pub leaders: Vec<LeaderRow>,
    pub poll: Option<PollView>,
    pub winners: Option<WinnersView>,
    pub has_draw_record: bool,
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

/// Everything engagement adds to the page, for the fan `me` (if known).
pub fn load(
    conn: &mut PgConnection,
    contest: &Contest,
    me: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Engagement, AppError> {
    let mut out = Engagement::default();
    if let Some(k) = me {
        out.referral_code = referrals::code_of(conn, contest.id, k)?;
        let balance = ledger::balance(conn, contest.id, k)?;
        out.my_points = (balance != 0 || out.referral_code.is_some()).then_some(balance);
    }
    out.leaders = ledger::top_balances(conn, contest.id, 10)?
        .iter()
        .filter(|r| r.points > 0)
        .enumerate()
        .map(|(i, r)| LeaderRow {
            rank: i + 1,
            name: short_name(r.display_name.as_deref()),
            points: r.points,
            me: Some(r.contact_id) == me,
        })
        .collect();
    if let Some(poll) = polls::for_contest(conn, contest.id)? {
        let open = prize_poll::is_open(&poll, contest, now);
        let limit = Limit::parse(&contest.vote_limit).unwrap_or(Limit::Once);
        let voted = match me {
            Some(k) => polls::voted_by(
                conn,
                poll.id,
                k,
                &period_key(limit, &contest.time_zone, now),
            )?,
            None => vec![],
        };
        let all = polls::list(conn, poll.id, None)?;
        let mine = me.and_then(|k| {
            all.iter().find(|s| s.suggestion.contact_id == k).map(|s| {
                let label = match s.suggestion.status.as_str() {
                    "approved" => "approved",
                    "rejected" => "not accepted",
                    _ => "waiting for review",
                };
                (s.suggestion.title.clone(), label)
            })
        });
        out.poll = Some(PollView {
            budget: prize_poll::format_amount(poll.budget_minor, &poll.currency),
            closes: local(poll.closes_at, &contest.time_zone),
            opens: (now < poll.opens_at && poll.closed_at.is_none())
                .then(|| local(poll.opens_at, &contest.time_zone)),
            open,
            suggestions: all
                .into_iter()
                .filter(|s| s.suggestion.status == "approved")
                .map(|s| SuggestionItem {
                    id: s.suggestion.id,
                    voted: voted.contains(&s.suggestion.id),
                    adopted: poll.adopted_suggestion_id == Some(s.suggestion.id),
                    value: prize_poll::format_amount(s.suggestion.value_minor, &poll.currency),
                    title: s.suggestion.title,
                    url: s.suggestion.url,
                    votes: s.votes,
                })
                .collect(),
            mine,
        });
    }
    if let Some(draw) = draws::find_draw(conn, contest.id)? {
        out.has_draw_record = draw.record.is_some();
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
