//! The prize poll, before launch: fans suggest and vote on the prize.
//!
//! - **Opening.** An admin opens a poll on a draft contest (or one already in
//!   `prize_poll`) with a budget cap and a closing time; the contest moves to
//!   `prize_poll`. Amounts are given in the currency's major unit with at most
//!   two decimals (`1000`, `"999.99"`) and stored in hundredths.
//! - **Open** means: the contest is in `prize_poll`, the poll has not been
//!   closed early, and `opens_at <= now < closes_at`. It closes on its schedule
//!   by the clock alone, or earlier by an admin, or when the contest moves on.
//! - **Suggestions.** A signed-in fan suggests one prize per poll: a title
//!   (3..=120 characters), an estimated value above zero and at most the budget,
//!   and an optional http(s) link. Suggestions wait for moderation; only approved
//!   ones are shown and can be voted on.
//! - **Votes** follow entry voting: a fan session (Facebook login or a confirmed
//!   email), one vote per voter per suggestion per period of the contest's
//!   `vote_limit` (a database constraint), rate limited per IP.
//! - **Adoption.** After the poll closes an admin adopts one approved suggestion;
//!   it becomes the contest's prize.
//! - **Participants.** Suggestions and votes are on the fans' timelines
//!   (`poll_suggestion`, `poll_vote`) and listed per poll, so the CRM can segment
//!   on "engaged before launch".

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use serde_json::json;

use crate::db::activities::{self, NewActivity};
use crate::db::contests::Contest;
use crate::db::polls::{self as store, NewPollVote, NewSuggestion, Poll, Suggestion};
use crate::domain::contest::{period_key, Limit, Status};
use crate::domain::voting::{VoteOutcome, Voter};
use crate::error::AppError;

/// Largest budget accepted: one billion in the major unit.
pub const MAX_BUDGET_MINOR: i64 = 100_000_000_000;

/// Parses an amount in the major unit (a JSON number or string, at most two
/// decimals, no exponent) into hundredths.
pub fn parse_amount(value: &serde_json::Value, field: &'static str) -> Result<i64, AppError> {
    let text = match value {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().replace(',', ""),
        _ => String::new(),
    };
    let bad = || {
        AppError::invalid(
            "invalid_amount",
            format!("{field} must be an amount such as 1000 or \"999.99\""),
        )
        .with_details(json!({"field": field}))
    };
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty()
        || whole.len() > 12
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    Ok(whole * 100 + frac)
}

/// `1,000.00 USD`.
pub fn format_amount(minor: i64, currency: &str) -> String {
    let whole = (minor / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02} {currency}", minor % 100)
}

pub fn check_currency(c: &str) -> Result<String, AppError> {
    let c = c.trim().to_uppercase();
    if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err(AppError::invalid(
            "invalid_currency",
            "currency must be an ISO 4217 code such as USD or EUR",
        ))
    }
}

pub fn check_budget(minor: i64) -> Result<i64, AppError> {
    if minor <= 0 || minor > MAX_BUDGET_MINOR {
        return Err(AppError::invalid(
            "invalid_budget",
            "the budget must be above zero and at most 1,000,000,000",
        ));
    }
    Ok(minor)
}

/// Can fans suggest and vote now?
pub fn is_open(poll: &Poll, contest: &Contest, now: DateTime<Utc>) -> bool {
    contest.effective_status(now) == Status::PrizePoll
        && poll.closed_at.is_none()
        && poll.opens_at <= now
        && now < poll.closes_at
}

/// A fan's suggestion as submitted.
pub struct SuggestionInput {
    pub title: String,
    pub value: serde_json::Value,
    pub url: Option<String>,
}

/// A checked suggestion: trimmed title, value in hundredths, normalised link.
#[derive(Debug, PartialEq)]
pub struct ValidSuggestion {
    pub title: String,
    pub value_minor: i64,
    pub url: Option<String>,
}

/// Validates a suggestion against the poll's budget; every problem names its field.
pub fn check_suggestion(poll: &Poll, input: &SuggestionInput) -> Result<ValidSuggestion, AppError> {
    let title = input.title.trim();
    let n = title.chars().count();
    if !(3..=120).contains(&n) || title.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "invalid_title",
            "the prize needs a title of 3 to 120 characters",
        )
        .with_details(json!({"field": "title"})));
    }
    let value_minor = parse_amount(&input.value, "value")?;
    if value_minor <= 0 {
        return Err(
            AppError::invalid("invalid_amount", "the estimated value must be above zero")
                .with_details(json!({"field": "value"})),
        );
    }
    if value_minor > poll.budget_minor {
        return Err(AppError::invalid(
            "over_budget",
            format!(
                "the estimated value must be at most the budget of {}",
                format_amount(poll.budget_minor, &poll.currency)
            ),
        )
        .with_details(json!({"field": "value", "budget_minor": poll.budget_minor})));
    }
    let url = match input
        .url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        None => None,
        Some(u) => {
            let parsed = url::Url::parse(u).ok().filter(|p| {
                matches!(p.scheme(), "http" | "https") && p.host_str().is_some() && u.len() <= 500
            });
            match parsed {
                Some(p) => Some(p.to_string()),
                None => {
                    return Err(AppError::invalid(
                        "invalid_url",
                        "the link must be an http or https address",
                    )
                    .with_details(json!({"field": "url"})))
                }
            }
        }
    };
    Ok(ValidSuggestion {
        title: title.to_string(),
        value_minor,
        url,
    })
}

fn not_open() -> AppError {
    AppError::conflict("poll_closed", "the prize poll is not open")
}

/// The contact behind a fan session on this page (created when new).
pub fn resolve_voter(
    conn: &mut PgConnection,
    page_id: i64,
    voter: &Voter,
) -> Result<i64, AppError> {
    let observation = match voter {
        Voter::Facebook { asid, name } => crate::db::contacts::Observation {
            page_id,
            asid: Some(asid.clone()),
            display_name: name.clone(),
            source: "login",
            ..Default::default()
        },
        Voter::Email { email } => crate::db::contacts::Observation {
            page_id,
            email: Some(email.clone()),
            source: "fan_page",
            ..Default::default()
        },
    };
    Ok(crate::db::contacts::resolve(conn, &observation)?.contact_id)
}

/// Stores a fan's suggestion. `Err` for a closed poll, a bad suggestion or a
/// second suggestion by the same person.
pub fn suggest(
    conn: &mut PgConnection,
    contest: &Contest,
    poll: &Poll,
    voter: &Voter,
    input: &SuggestionInput,
    now: DateTime<Utc>,
) -> Result<Suggestion, AppError> {
    if !is_open(poll, contest, now) {
        return Err(not_open());
    }
    let valid = check_suggestion(poll, input)?;
    let contact = resolve_voter(conn, contest.page_id, voter)?;
    let stored = store::suggest(
        conn,
        &NewSuggestion {
            poll,
            contact_id: contact,
            title: &valid.title,
            value_minor: valid.value_minor,
            url: valid.url.as_deref(),
        },
    )?;
    let s = stored.map_err(|existing| {
        AppError::conflict(
            "already_suggested",
            "you already suggested a prize in this poll",
        )
        .with_details(json!({"suggestion_id": existing}))
    })?;
    activities::record(
        conn,
        &NewActivity {
            page_id: contest.page_id,
            contact_id: Some(contact),
            visitor_id: None,
            contest_id: Some(contest.id),
            kind: "poll_suggestion",
            occurred_at: now,
            details: json!({"poll_id": poll.id, "suggestion_id": s.id, "value_minor": s.value_minor}),
            dedupe_key: Some(format!("poll_suggestion:{}", s.id)),
        },
    )?;
    Ok(s)
}

pub struct PollVote<'a> {
    pub contest: &'a Contest,
    pub poll: &'a Poll,
    pub suggestion_id: i64,
    pub voter: &'a Voter,
    pub ip: Option<&'a str>,
    pub user_agent_hash: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// A vote for an approved suggestion of an open poll (see the module doc).
pub fn vote(conn: &mut PgConnection, v: PollVote<'_>) -> Result<VoteOutcome, AppError> {
    if !is_open(v.poll, v.contest, v.now) {
        return Err(not_open());
    }
    let s = store::find_suggestion(conn, v.suggestion_id)
        .map_err(|_| AppError::not_found("no such suggestion"))?;
    if s.poll_id != v.poll.id {
        return Err(AppError::not_found("no such suggestion in this poll"));
    }
    if s.status != "approved" {
        return Err(AppError::conflict(
            "suggestion_not_approved",
            "this suggestion is not open for votes",
        ));
    }
    let voter = resolve_voter(conn, v.contest.page_id, v.voter)?;
    let limit = Limit::parse(&v.contest.vote_limit).unwrap_or(Limit::Once);
    let period = period_key(limit, &v.contest.time_zone, v.now);
    let Some(id) = store::cast(
        conn,
        &NewPollVote {
            poll_id: v.poll.id,
            suggestion_id: s.id,
            voter,
            period: &period,
            ip: v.ip,
            user_agent_hash: v.user_agent_hash,
        },
    )?
    else {
        return Ok(VoteOutcome::AlreadyVoted);
    };
    activities::record(
        conn,
        &NewActivity {
            page_id: v.contest.page_id,
            contact_id: Some(voter),
            visitor_id: None,
            contest_id: Some(v.contest.id),
            kind: "poll_vote",
            occurred_at: v.now,
            details: json!({"poll_id": v.poll.id, "suggestion_id": s.id, "poll_vote_id": id}),
            dedupe_key: Some(format!("poll_vote:{id}")),
        },
    )?;
    Ok(VoteOutcome::Counted(id))
}

/// The adopted suggestion's text for the contest's `prize` field.
pub fn prize_text(s: &Suggestion, currency: &str) -> String {
    format!(
        "{} (estimated value {})",
        s.title,
        format_amount(s.value_minor, currency)
    )
}

/// Opens a prize poll on a draft contest of `admin_id` (the contest moves to
/// `prize_poll`). Times are local to the contest's time zone; without `opens_at`
/// the poll opens now. The API and the dashboard both call this.
#[allow(clippy::too_many_arguments)]
pub fn open_poll(
    c: &mut PgConnection,
    cipher: &crate::crypto::tokens::TokenCipher,
    admin: i64,
    id: i64,
    budget: i64,
    currency: &str,
    closes_at: &str,
    opens_at: Option<&str>,
) -> Result<(Poll, Contest), AppError> {
    use crate::db::audit::{self, Audit};
    use crate::db::contests;
    use crate::domain::contest as rules;
    let contest = contests::lock_for_admin(c, admin, id)?;
    let now = Utc::now();
    if !matches!(
        contest.effective_status(now),
        Status::Draft | Status::PrizePoll
    ) {
        return Err(AppError::conflict(
            "already_launched",
            "a prize poll runs before launch, while the contest is a draft",
        ));
    }
    let tz = rules::parse_time_zone(&contest.time_zone)?;
    let closes_at = rules::parse_instant(closes_at, tz, "closes_at")?;
    let opens_at = match opens_at {
        Some(o) => rules::parse_instant(o, tz, "opens_at")?,
        None => now,
    };
    // Against the clock and between two fields: no JSON Schema states it, so it
    // is a conflict (409) rather than a 422 for a schema-valid body.
    if closes_at <= now || closes_at <= opens_at {
        return Err(AppError::conflict(
            "invalid_schedule",
            "closes_at must be in the future and after opens_at",
        ));
    }
    let poll = store::create(
        c,
        &store::NewPoll {
            contest_id: id,
            page_id: contest.page_id,
            budget_minor: budget,
            currency,
            opens_at,
            closes_at,
            created_by: admin,
        },
    )?
    .ok_or_else(|| AppError::conflict("poll_exists", "this contest already has a prize poll"))?;
    let contest =
        crate::domain::lifecycle::transition(c, id, Some(admin), Status::PrizePoll, now, cipher)?;
    audit::record(
        c,
        Audit {
            page_id: Some(contest.page_id),
            admin_id: Some(admin),
            action: "poll.opened",
            subject_type: "poll",
            subject_id: Some(poll.id),
            details: json!({"contest_id": id, "budget_minor": budget, "currency": currency, "closes_at": closes_at}),
        },
    )?;
    Ok((poll, contest))
}

/// Closes a poll of `admin_id` early (closing a closed poll changes nothing).
pub fn close_poll(c: &mut PgConnection, admin: i64, id: i64) -> Result<(Poll, Contest), AppError> {
    use crate::db::audit::{self, Audit};
    let poll = store::lock_for_admin(c, admin, id)?;
    let contest = crate::db::contests::find(c, poll.contest_id)?;
    let poll = match poll.closed_at {
        Some(_) => poll,
        None => {
            let closed = store::close(c, id, Utc::now())?;
            audit::record(
                c,
                Audit {
                    page_id: Some(poll.page_id),
                    admin_id: Some(admin),
                    action: "poll.closed",
                    subject_type: "poll",
                    subject_id: Some(id),
                    details: json!({"contest_id": poll.contest_id}),
                },
            )?;
            closed
        }
    };
    Ok((poll, contest))
}

/// Makes an approved suggestion the contest's prize, once the poll is closed and
/// while the contest has not closed. Returns the poll and the updated contest.
pub fn adopt_suggestion(
    c: &mut PgConnection,
    admin: i64,
    id: i64,
    suggestion_id: i64,
) -> Result<(Poll, Contest), AppError> {
    use crate::db::audit::{self, Audit};
    use crate::db::contests::{self, ContestFields};
    let poll = store::lock_for_admin(c, admin, id)?;
    let contest = contests::lock_for_admin(c, admin, poll.contest_id)?;
    let now = Utc::now();
    if is_open(&poll, &contest, now) {
        return Err(AppError::conflict(
            "poll_open",
            "adopt a prize after the poll closes",
        ));
    }
    if matches!(
        contest.effective_status(now),
        Status::Closed | Status::WinnersAnnounced
    ) {
        return Err(AppError::conflict(
            "contest_closed",
            "a closed contest's prize can no longer change",
        ));
    }
    let s = store::find_suggestion(c, suggestion_id)
        .ok()
        .filter(|s| s.poll_id == poll.id)
        .ok_or_else(|| AppError::not_found("no such suggestion in this poll"))?;
    if s.status != "approved" {
        return Err(AppError::conflict(
            "suggestion_not_approved",
            "only an approved suggestion can become the prize",
        ));
    }
    let prize = prize_text(&s, &poll.currency);
    let updated = contests::update(
        c,
        contest.id,
        &ContestFields {
            prize: Some(prize.clone()),
            ..Default::default()
        },
    )?;
    let poll = store::set_adopted(c, poll.id, s.id)?;
    audit::record(
        c,
        Audit {
            page_id: Some(poll.page_id),
            admin_id: Some(admin),
            action: "poll.adopted",
            subject_type: "poll",
            subject_id: Some(poll.id),
            details: json!({"suggestion_id": s.id, "prize": prize}),
        },
    )?;
    Ok((poll, updated))
}

/// Moderates a suggestion on a page of `admin_id`: pending, approved or rejected
/// (rejecting needs a reason).
pub fn moderate_suggestion(
    c: &mut PgConnection,
    admin: i64,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<Suggestion, AppError> {
    use crate::db::audit::{self, Audit};
    if !matches!(status, "pending" | "approved" | "rejected") {
        return Err(AppError::invalid(
            "invalid_status",
            "status must be pending, approved or rejected",
        ));
    }
    // Bounded and free of control characters, like every other admin text (the
    // API and the dashboard both come through here).
    let reason = match reason.map(str::trim) {
        Some(r) if !r.is_empty() => Some(crate::domain::input::text("reason", r, 1, 500)?),
        _ => None,
    };
    if status == "rejected" && reason.is_none() {
        return Err(AppError::invalid(
            "reason_required",
            "rejecting needs a reason",
        ));
    }
    let s = store::find_suggestion_for_admin(c, admin, id)?;
    let updated = store::moderate(c, id, admin, status, reason.as_deref())?;
    audit::record(
        c,
        Audit {
            page_id: Some(s.page_id),
            admin_id: Some(admin),
            action: "poll.suggestion_moderated",
            subject_type: "suggestion",
            subject_id: Some(id),
            details: json!({"status": status, "reason": reason}),
        },
    )?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(budget_minor: i64) -> Poll {
        let now = Utc::now();
        Poll {
            id: 1,
            contest_id: 1,
            page_id: 1,
            budget_minor,
            currency: "USD".into(),
            opens_at: now,
            closes_at: now + chrono::Duration::days(1),
            closed_at: None,
            adopted_suggestion_id: None,
            created_by: None,
            created_at: now,
        }
    }

    fn input(title: &str, value: serde_json::Value, url: Option<&str>) -> SuggestionInput {
        SuggestionInput {
            title: title.into(),
            value,
            url: url.map(str::to_string),
        }
    }

    #[test]
    fn amounts_parse_to_hundredths() {
        assert_eq!(parse_amount(&json!(1000), "b").unwrap(), 100_000);
        assert_eq!(parse_amount(&json!("999.99"), "b").unwrap(), 99_999);
        assert_eq!(parse_amount(&json!("1,000.5"), "b").unwrap(), 100_050);
        assert_eq!(parse_amount(&json!(12.3), "b").unwrap(), 1_230);
        for bad in [
            json!(-5),
            json!("1e3"),
            json!("10.001"),
            json!("abc"),
            json!(null),
            json!(""),
            json!("1234567890123"),
        ] {
            assert!(parse_amount(&bad, "b").is_err(), "{bad}");
        }
        assert_eq!(format_amount(100_000, "USD"), "1,000.00 USD");
        assert_eq!(format_amount(99_999, "EUR"), "999.99 EUR");
        assert_eq!(format_amount(5, "SEK"), "0.05 SEK");
    }

    #[test]
    fn suggestions_must_fit_the_budget() {
        let p = poll(100_000);
        let ok = check_suggestion(&p, &input(" Bike ", json!("1000"), None)).unwrap();
        assert_eq!((ok.title.as_str(), ok.value_minor), ("Bike", 100_000));
        let over = check_suggestion(&p, &input("Bike", json!("1000.01"), None)).unwrap_err();
        assert_eq!(over.code(), "over_budget");
        assert!(
            over.message().contains("1,000.00 USD"),
            "{}",
            over.message()
        );
        let zero = check_suggestion(&p, &input("Bike", json!(0), None)).unwrap_err();
        assert_eq!(zero.code(), "invalid_amount");
        assert_eq!(
            check_suggestion(&p, &input("Bi", json!(1), None))
                .unwrap_err()
                .code(),
            "invalid_title"
        );
        for bad in ["javascript:alert(1)", "ftp://x.org/a", "not a url"] {
            assert_eq!(
                check_suggestion(&p, &input("Bike", json!(1), Some(bad)))
                    .unwrap_err()
                    .code(),
                "invalid_url"
            );
        }
        let linked =
            check_suggestion(&p, &input("Bike", json!(1), Some("https://shop.example/b"))).unwrap();
        assert_eq!(linked.url.as_deref(), Some("https://shop.example/b"));
    }

    #[test]
    fn budgets_and_currencies_are_checked() {
        assert!(check_budget(0).is_err());
        assert!(check_budget(MAX_BUDGET_MINOR + 1).is_err());
        assert_eq!(check_currency(" usd ").unwrap(), "USD");
        assert!(check_currency("US").is_err());
        assert!(check_currency("U$D").is_err());
    }
}
