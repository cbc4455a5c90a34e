//! Contest rules: kinds, the lifecycle, the schedule and the periods behind
//! "once" and "daily" limits.
//!
//! Lifecycle: `draft → (prize_poll) → scheduled → open → closed → winners_announced`.
//! A scheduled contest opens by itself at `opens_at` and an open one closes at
//! `closes_at`: [`effective_status`] applies the clock on every check, so nothing
//! depends on when the periodic job last ran.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Text and/or image entries, decided by votes and/or judges.
    Ugc,
    /// Entries only, decided by a random draw.
    Sweepstakes,
    /// Comments on a linked page post are the entries.
    CommentToEnter,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Ugc => "ugc",
            Kind::Sweepstakes => "sweepstakes",
            Kind::CommentToEnter => "comment_to_enter",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "ugc" => Some(Kind::Ugc),
            "sweepstakes" => Some(Kind::Sweepstakes),
            "comment_to_enter" => Some(Kind::CommentToEnter),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    PrizePoll,
    Scheduled,
    Open,
    Closed,
    WinnersAnnounced,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::PrizePoll => "prize_poll",
            Status::Scheduled => "scheduled",
            Status::Open => "open",
            Status::Closed => "closed",
            Status::WinnersAnnounced => "winners_announced",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "draft" => Status::Draft,
            "prize_poll" => Status::PrizePoll,
            "scheduled" => Status::Scheduled,
            "open" => Status::Open,
            "closed" => Status::Closed,
            "winners_announced" => Status::WinnersAnnounced,
            _ => return None,
        })
    }

    /// The transitions an admin may request.
    pub fn can_become(&self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Draft, PrizePoll)
                | (Draft, Scheduled)
                | (Draft, Open)
                | (PrizePoll, Scheduled)
                | (PrizePoll, Open)
                | (PrizePoll, Draft)
                | (Scheduled, Draft)
                | (Scheduled, Open)
                | (Open, Closed)
                | (Closed, WinnersAnnounced)
        )
    }
}

/// The status with the clock applied.
pub fn effective_status(
    status: Status,
    opens_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Status {
    let past_close = closes_at.is_some_and(|c| c <= now);
    match status {
        Status::Scheduled if past_close => Status::Closed,
        Status::Scheduled if opens_at.is_some_and(|o| o <= now) => Status::Open,
        Status::Open if past_close => Status::Closed,
        Status::Open if opens_at.is_some_and(|o| o > now) => Status::Scheduled,
        s => s,
    }
}

/// Checks a requested transition; opening needs official rules and a sane schedule.
pub fn check_transition(
    from: Status,
    to: Status,
    rules_text: &str,
    closes_at: Option<DateTime<Utc>>,
    kind: Kind,
    linked_post_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if !from.can_become(to) {
        return Err(AppError::conflict(
            "invalid_transition",
            format!(
                "a {} contest cannot become {}; allowed: {}",
                from.as_str(),
                to.as_str(),
                allowed_from(from).join(", ")
            ),
        ));
    }
    // What the contest lacks to be scheduled or opened is its stored state, not the
    // request: a conflict (409), fixed by editing the contest first.
    if matches!(to, Status::Scheduled | Status::Open) {
        if rules_text.trim().is_empty() {
            return Err(AppError::conflict(
                "rules_required",
                "official rules are required before a contest can be scheduled or opened",
            ));
        }
        if closes_at.is_some_and(|c| c <= now) {
            return Err(AppError::conflict(
                "closes_in_past",
                "closes_at is in the past; move it before opening",
            ));
        }
        if kind == Kind::CommentToEnter && linked_post_id.is_none_or(|p| p.trim().is_empty()) {
            return Err(AppError::conflict(
                "post_required",
                "a comment-to-enter contest needs linked_post_id before it opens",
            ));
        }
    }
    Ok(())
}

fn allowed_from(from: Status) -> Vec<&'static str> {
    use Status::*;
    [Draft, PrizePoll, Scheduled, Open, Closed, WinnersAnnounced]
        .into_iter()
        .filter(|to| from.can_become(*to))
        .map(|s| s.as_str())
        .collect()
}

pub fn parse_time_zone(tz: &str) -> Result<Tz, AppError> {
    tz.parse::<Tz>().map_err(|_| {
        AppError::invalid(
            "invalid_time_zone",
            format!("`{tz}` is not an IANA time zone such as Europe/Stockholm"),
        )
    })
}

/// A schedule instant: RFC 3339 with an offset, or a local `YYYY-MM-DDTHH:MM[:SS]`
/// in the contest's time zone.
pub fn parse_instant(value: &str, tz: Tz, field: &'static str) -> Result<DateTime<Utc>, AppError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M"))
        .map_err(|_| {
            AppError::invalid(
                "invalid_datetime",
                format!("{field}: expected RFC 3339 or a local YYYY-MM-DDTHH:MM"),
            )
            .with_details(serde_json::json!({ "field": field }))
        })?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            AppError::invalid(
                "invalid_datetime",
                format!("{field}: that local time does not exist in {tz} (a DST gap)"),
            )
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    Once,
    Daily,
}

impl Limit {
    pub fn parse(s: &str) -> Option<Limit> {
        match s {
            "once" => Some(Limit::Once),
            "daily" => Some(Limit::Daily),
            _ => None,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Limit::Once => "once",
            Limit::Daily => "daily",
        }
    }
}

/// The period key behind one-per-period constraints: `all`, or the local date in
/// the contest's time zone (so "daily" resets at local midnight).
pub fn period_key(limit: Limit, tz: &str, now: DateTime<Utc>) -> String {
    match limit {
        Limit::Once => "all".into(),
        Limit::Daily => {
            let tz: Tz = tz.parse().unwrap_or(chrono_tz::UTC);
            now.with_timezone(&tz).format("%Y-%m-%d").to_string()
        }
    }
}

/// A URL slug from a title plus a short random suffix.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for ch in title.chars().flat_map(|c| c.to_lowercase()) {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_matches('-').to_string();
    let suffix: String = crate::crypto::random_token(4)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(5)
        .collect();
    if slug.is_empty() {
        format!("contest-{suffix}")
    } else {
        format!("{slug}-{suffix}")
    }
}

/// Rules versions identify the exact text shown.
pub fn rules_version(rules_text: &str) -> String {
    crate::crypto::sha256_hex(rules_text.as_bytes())[..12].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn the_clock_opens_and_closes_contests() {
        let now = Utc::now();
        let (past, future) = (now - Duration::hours(1), now + Duration::hours(1));
        assert_eq!(
            effective_status(Status::Scheduled, Some(past), Some(future), now),
            Status::Open
        );
        assert_eq!(
            effective_status(Status::Scheduled, Some(future), None, now),
            Status::Scheduled
        );
        assert_eq!(
            effective_status(Status::Open, Some(past), Some(past), now),
            Status::Closed
        );
        assert_eq!(
            effective_status(Status::Open, None, None, now),
            Status::Open
        );
        assert_eq!(
            effective_status(Status::Draft, Some(past), None, now),
            Status::Draft
        );
    }

    #[test]
    fn transitions_follow_the_lifecycle() {
        let now = Utc::now();
        let ok = |f, t| check_transition(f, t, "Rules", None, Kind::Ugc, None, now);
        assert!(ok(Status::Draft, Status::Scheduled).is_ok());
        assert!(ok(Status::Draft, Status::PrizePoll).is_ok());
        assert!(ok(Status::Open, Status::Closed).is_ok());
        assert!(ok(Status::Closed, Status::WinnersAnnounced).is_ok());
        let err = ok(Status::Draft, Status::Closed).unwrap_err();
        assert_eq!(err.code(), "invalid_transition");
        assert!(err
            .message()
            .contains("allowed: prize_poll, scheduled, open"));
        assert!(ok(Status::Closed, Status::Open).is_err());
        assert!(ok(Status::WinnersAnnounced, Status::Draft).is_err());
        let no_rules = check_transition(
            Status::Draft,
            Status::Open,
            "  ",
            None,
            Kind::Ugc,
            None,
            now,
        );
        assert_eq!(no_rules.unwrap_err().code(), "rules_required");
        let no_post = check_transition(
            Status::Draft,
            Status::Open,
            "R",
            None,
            Kind::CommentToEnter,
            None,
            now,
        );
        assert_eq!(no_post.unwrap_err().code(), "post_required");
    }

    #[test]
    fn local_times_use_the_contest_zone() {
        let tz = parse_time_zone("Europe/Stockholm").unwrap();
        let t = parse_instant("2026-12-10T09:00", tz, "opens_at").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-10T08:00:00+00:00");
        let t = parse_instant("2026-12-10T09:00:00-05:00", tz, "opens_at").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-10T14:00:00+00:00");
        assert!(parse_instant("tomorrow", tz, "opens_at").is_err());
        assert!(parse_time_zone("Mars/Base").is_err());
        // 02:30 does not exist in Stockholm on the spring DST change.
        assert!(parse_instant("2026-03-29T02:30", tz, "opens_at").is_err());
    }

    #[test]
    fn daily_periods_follow_local_midnight() {
        let t = DateTime::parse_from_rfc3339("2026-12-10T23:30:00+00:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(period_key(Limit::Daily, "UTC", t), "2026-12-10");
        assert_eq!(
            period_key(Limit::Daily, "Europe/Stockholm", t),
            "2026-12-11"
        );
        assert_eq!(period_key(Limit::Once, "Europe/Stockholm", t), "all");
    }

    #[test]
    fn slugs_are_url_safe() {
        let s = slugify("Design your own shirt! <script>");
        assert!(s.starts_with("design-your-own-shirt-script-"));
        assert!(s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        assert!(slugify("!!!").starts_with("contest-"));
    }
}
