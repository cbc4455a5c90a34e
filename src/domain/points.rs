//! Points: an append-only ledger per contest, with rules and caps set per contest.
//!
//! # Rules
//!
//! Every award has a [`Reason`] and a **source key** that is unique within the
//! contest (`entry:<entry id>`, `vote:<vote id>`, `referral:<referral id>`,
//! `visit:<contact id>:<day>`, `bonus:<entry id>:<question id>`, or the
//! idempotency key of an admin adjustment). The database refuses a second row
//! with the same key, so a replayed event never awards twice.
//!
//! A contest's `point_rules` (JSON, validated by [`PointRules::parse`]) give the
//! points per reason and optional caps, all in points:
//!
//! ```json
//! {
//!   "entry":               {"points": 10},
//!   "referral_conversion": {"points": 25, "per_day": 100, "per_contact": 250},
//!   "vote_received":       {"points": 2,  "per_day": 20},
//!   "daily_visit":         {"points": 1},
//!   "bonus_question":      {"points": 5, "questions": {"fav_colour": null, "capital": "Paris"}}
//! }
//! ```
//!
//! - A reason left out earns nothing. `admin_adjustment` is not configurable: an
//!   admin gives any non-zero amount, with a note.
//! - `per_day` caps what one contact earns for that reason per local day (the
//!   contest's time zone); `per_contact` caps it over the whole contest. An award
//!   that would cross a cap is reduced to what is left, and dropped at zero.
//! - `bonus_question` pays for each listed custom question of the entry form the
//!   entrant answered; when the question maps to an answer, only that answer
//!   (compared trimmed, case-insensitively) earns the points.
//!
//! The balance of a contact is the sum of their ledger rows, maintained by a
//! database trigger in the statement that adds the row. Awards to one contact
//! are serialised by a transaction-scoped advisory lock, so caps hold under
//! concurrent awards too.
//!
//! **Moderation.** Points follow the entry that earned them: rejecting or
//! disqualifying an entry (or removing the comment behind a comment entry, or a
//! contact merge that finds a duplicate entry) takes back its `entry` and
//! `bonus_question` points, the `vote_received` points of votes for it and the
//! referral conversion it paid; restoring it gives them back. Each settlement is
//! a correcting `admin_adjustment` row (`db::points::settle_entries`).
//!
//! **Bonus entries.** When a contest sets `points_per_bonus_entry = N`, a contact
//! with balance `B` gets `floor(B / N)` extra chances in a random draw (see
//! `domain::winners`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::activities::{self, NewActivity};
use crate::db::contests::Contest;
use crate::db::points::{self as ledger, NewAward, PointAward};
use crate::error::AppError;

/// Largest number of points one rule or adjustment may give (or take).
pub const MAX_POINTS: i32 = 100_000;
/// Largest cap accepted.
pub const MAX_CAP: i64 = 100_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Entry,
    ReferralConversion,
    VoteReceived,
    DailyVisit,
    BonusQuestion,
    AdminAdjustment,
}

impl Reason {
    pub const ALL: [Reason; 6] = [
        Reason::Entry,
        Reason::ReferralConversion,
        Reason::VoteReceived,
        Reason::DailyVisit,
        Reason::BonusQuestion,
        Reason::AdminAdjustment,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Entry => "entry",
            Reason::ReferralConversion => "referral_conversion",
            Reason::VoteReceived => "vote_received",
            Reason::DailyVisit => "daily_visit",
            Reason::BonusQuestion => "bonus_question",
            Reason::AdminAdjustment => "admin_adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Points for one reason, with optional caps (in points).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub points: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_contact: Option<i64>,
}

/// The `bonus_question` rule: a [`Rule`] plus the questions that pay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BonusRule {
    pub points: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_contact: Option<i64>,
    /// Question id → the answer that earns the points (`null`: any answer).
    #[serde(default)]
    pub questions: BTreeMap<String, Option<String>>,
}

impl BonusRule {
    fn rule(&self) -> Rule {
        Rule {
            points: self.points,
            per_day: self.per_day,
            per_contact: self.per_contact,
        }
    }
}

/// A contest's point rules (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_conversion: Option<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote_received: Option<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_visit: Option<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bonus_question: Option<BonusRule>,
}

impl PointRules {
    /// What a new contest starts with when the admin sets no rules: campaigning
    /// (bringing people in) is worth more than popularity, and both are capped.
    pub fn starter() -> PointRules {
        PointRules {
            entry: Some(Rule {
                points: 10,
                per_day: None,
                per_contact: None,
            }),
            referral_conversion: Some(Rule {
                points: 25,
                per_day: Some(250),
                per_contact: None,
            }),
            vote_received: Some(Rule {
                points: 1,
                per_day: Some(50),
                per_contact: None,
            }),
            daily_visit: Some(Rule {
                points: 1,
                per_day: Some(1),
                per_contact: None,
            }),
            bonus_question: None,
        }
    }

    /// The stored rules of a contest; malformed JSON (never written by the API)
    /// counts as no rules, so awards stop rather than guess.
    pub fn of(contest: &Contest) -> PointRules {
        serde_json::from_value(contest.point_rules.clone()).unwrap_or_default()
    }

    /// Validates admin input. `question_ids` are the custom questions of the
    /// contest's entry form, which `bonus_question` may name.
    pub fn parse(value: &serde_json::Value, question_ids: &[String]) -> Result<PointRules, String> {
        if !value.is_object() {
            return Err("point_rules must be a JSON object".into());
        }
        let rules: PointRules = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        let named = [
            ("entry", rules.entry),
            ("referral_conversion", rules.referral_conversion),
            ("vote_received", rules.vote_received),
            ("daily_visit", rules.daily_visit),
            (
                "bonus_question",
                rules.bonus_question.as_ref().map(BonusRule::rule),
            ),
        ];
        for (name, rule) in named {
            let Some(r) = rule else { continue };
            if !(0..=MAX_POINTS).contains(&r.points) {
                return Err(format!("{name}.points must be within 0..={MAX_POINTS}"));
            }
            for (cap, v) in [("per_day", r.per_day), ("per_contact", r.per_contact)] {
                if v.is_some_and(|v| !(1..=MAX_CAP).contains(&v)) {
                    return Err(format!("{name}.{cap} must be within 1..={MAX_CAP}"));
                }
            }
        }
        if let Some(b) = &rules.bonus_question {
            if b.questions.is_empty() && b.points > 0 {
                return Err("bonus_question.questions must name at least one question".into());
            }
            for (id, answer) in &b.questions {
                if !question_ids.contains(id) {
                    return Err(format!(
                        "bonus_question.questions: `{id}` is not a question of the entry form"
                    ));
                }
                if answer
                    .as_ref()
                    .is_some_and(|a| a.trim().is_empty() || a.len() > 200)
                {
                    return Err(format!(
                        "bonus_question.questions.{id}: the answer must be 1..=200 characters, or null"
                    ));
                }
            }
        }
        Ok(rules)
    }

    /// Points and caps for a configurable reason (`None`: it earns nothing).
    pub fn rule(&self, reason: Reason) -> Option<Rule> {
        match reason {
            Reason::Entry => self.entry,
            Reason::ReferralConversion => self.referral_conversion,
            Reason::VoteReceived => self.vote_received,
            Reason::DailyVisit => self.daily_visit,
            Reason::BonusQuestion => self.bonus_question.as_ref().map(BonusRule::rule),
            Reason::AdminAdjustment => None,
        }
        .filter(|r| r.points > 0)
    }

    /// The custom questions answered in an entry that earn `bonus_question` points.
    pub fn bonus_questions_earned(&self, answers: &serde_json::Value) -> Vec<String> {
        let Some(b) = &self.bonus_question else {
            return vec![];
        };
        let given: Vec<(String, String)> = answers
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|a| {
                        Some((
                            a.get("id")?.as_str()?.to_string(),
                            a.get("answer")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        b.questions
            .iter()
            .filter(|(id, expected)| {
                given.iter().any(|(gid, answer)| {
                    gid == *id
                        && !answer.trim().is_empty()
                        && expected
                            .as_ref()
                            .is_none_or(|e| e.trim().eq_ignore_ascii_case(answer.trim()))
                })
            })
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// How much of `wanted` fits under the caps, given what the contact already
/// earned for the reason today and in the whole contest.
pub fn capped(wanted: i32, rule: &Rule, used_today: i64, used_total: i64) -> i32 {
    let mut allowed = i64::from(wanted);
    if let Some(cap) = rule.per_day {
        allowed = allowed.min(cap - used_today);
    }
    if let Some(cap) = rule.per_contact {
        allowed = allowed.min(cap - used_total);
    }
    allowed.clamp(0, i64::from(wanted)) as i32
}

/// Extra draw chances bought by a balance.
pub fn bonus_entries(balance: i64, points_per_bonus_entry: Option<i32>) -> u32 {
    match points_per_bonus_entry {
        Some(per) if per > 0 && balance > 0 => {
            u32::try_from(balance / i64::from(per)).unwrap_or(u32::MAX)
        }
        _ => 0,
    }
}

/// The local date of `now` in the contest's time zone (per-day caps reset at
/// local midnight, like daily entry limits).
pub fn local_day(contest: &Contest, now: DateTime<Utc>) -> NaiveDate {
    crate::domain::entering::today_in(contest, now)
}

/// One award request. `points` is only used for admin adjustments; every other
/// reason takes its points from the contest's rules.
pub struct AwardRequest<'a> {
    pub contest: &'a Contest,
    pub contact_id: i64,
    pub reason: Reason,
    pub source_key: String,
    pub points: i32,
    pub note: Option<String>,
    pub admin_id: Option<i64>,
    pub now: DateTime<Utc>,
}

impl<'a> AwardRequest<'a> {
    /// An award by the contest's rules.
    pub fn by_rule(
        contest: &'a Contest,
        contact_id: i64,
        reason: Reason,
        source_key: String,
        now: DateTime<Utc>,
    ) -> AwardRequest<'a> {
        AwardRequest {
            contest,
            contact_id,
            reason,
            source_key,
            points: 0,
            note: None,
            admin_id: None,
            now,
        }
    }
}

/// Adds an award to the ledger (see the module documentation). Returns the new
/// ledger row, or `None` when the source was already awarded, the reason earns
/// nothing, or a cap is reached. Runs inside the caller's transaction.
pub fn award(conn: &mut PgConnection, r: AwardRequest<'_>) -> Result<Option<PointAward>, AppError> {
    let contest = r.contest;
    let (points, rule) = if r.reason == Reason::AdminAdjustment {
        if r.points == 0 || r.points.unsigned_abs() > MAX_POINTS as u32 {
            return Err(AppError::invalid(
                "invalid_points",
                format!("points must be non-zero and within ±{MAX_POINTS}"),
            ));
        }
        if r.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(AppError::invalid(
                "note_required",
                "an adjustment needs a note saying why",
            ));
        }
        (r.points, None)
    } else {
        match PointRules::of(contest).rule(r.reason) {
            Some(rule) => (rule.points, Some(rule)),
            None => return Ok(None),
        }
    };
    // One contact's awards in one contest are serialised, so caps hold.
    ledger::lock_contact(conn, contest.id, r.contact_id)?;
    if ledger::find_by_source(conn, contest.id, &r.source_key)?.is_some() {
        return Ok(None);
    }
    let day = local_day(contest, r.now);
    let points = match rule {
        Some(rule) if rule.per_day.is_some() || rule.per_contact.is_some() => {
            let today =
                ledger::earned(conn, contest.id, r.contact_id, r.reason.as_str(), Some(day))?;
            let total = ledger::earned(conn, contest.id, r.contact_id, r.reason.as_str(), None)?;
            capped(points, &rule, today, total)
        }
        _ => points,
    };
    if points == 0 {
        return Ok(None);
    }
    let row = ledger::insert(
        conn,
        &NewAward {
            contest_id: contest.id,
            contact_id: r.contact_id,
            reason: r.reason.as_str().to_string(),
            points,
            source_key: r.source_key.clone(),
            award_day: day,
            note: r.note.clone(),
            admin_id: r.admin_id,
        },
    )?;
    if let Some(a) = &row {
        activities::record(
            conn,
            &NewActivity {
                page_id: contest.page_id,
                contact_id: Some(a.contact_id),
                visitor_id: None,
                contest_id: Some(contest.id),
                kind: "points_awarded",
                occurred_at: r.now,
                details: json!({"award_id": a.id, "reason": a.reason, "points": a.points, "source_key": a.source_key}),
                dedupe_key: Some(format!("points_awarded:{}", a.id)),
            },
        )?;
    }
    Ok(row)
}

/// Takes back what one source earned (a voided vote, a conversion found to be a
/// self-referral): a correcting `admin_adjustment` row, never a deletion.
/// Idempotent through the source key `reversal:<original key>`.
pub fn reverse(
    conn: &mut PgConnection,
    contest: &Contest,
    source_key: &str,
    note: &str,
    admin_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<PointAward>, AppError> {
    let Some(original) = ledger::find_by_source(conn, contest.id, source_key)? else {
        return Ok(None);
    };
    award(
        conn,
        AwardRequest {
            contest,
            contact_id: original.contact_id,
            reason: Reason::AdminAdjustment,
            source_key: format!("reversal:{source_key}"),
            points: -original.points,
            note: Some(note.to_string()),
            admin_id,
            now,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_refuse_bad_values() {
        let q = vec!["capital".to_string()];
        let ok = PointRules::parse(
            &json!({"entry": {"points": 10}, "vote_received": {"points": 2, "per_day": 20},
                    "bonus_question": {"points": 5, "questions": {"capital": "Paris"}}}),
            &q,
        )
        .unwrap();
        assert_eq!(ok.rule(Reason::Entry).unwrap().points, 10);
        assert_eq!(ok.rule(Reason::ReferralConversion), None);
        assert_eq!(ok.rule(Reason::AdminAdjustment), None);
        for (bad, why) in [
            (json!([]), "object"),
            (json!({"entry": {"points": -1}}), "entry.points"),
            (json!({"entry": {"points": 1, "per_day": 0}}), "per_day"),
            (json!({"entry": {"points": 1, "bogus": 1}}), "unknown field"),
            (json!({"admin_adjustment": {"points": 1}}), "unknown field"),
            (
                json!({"bonus_question": {"points": 1, "questions": {"nope": null}}}),
                "not a question",
            ),
            (json!({"bonus_question": {"points": 1}}), "at least one"),
        ] {
            let e = PointRules::parse(&bad, &q).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        // The starter rules are valid rules.
        let starter = serde_json::to_value(PointRules::starter()).unwrap();
        assert_eq!(
            PointRules::parse(&starter, &[]).unwrap(),
            PointRules::starter()
        );
    }

    #[test]
    fn caps_reduce_an_award_to_what_is_left() {
        let r = Rule {
            points: 10,
            per_day: Some(25),
            per_contact: Some(100),
        };
        assert_eq!(capped(10, &r, 0, 0), 10);
        assert_eq!(capped(10, &r, 20, 20), 5);
        assert_eq!(capped(10, &r, 25, 25), 0);
        assert_eq!(capped(10, &r, 0, 95), 5);
        assert_eq!(capped(10, &r, 0, 120), 0, "never negative");
        assert_eq!(capped(10, &Rule::default(), 1000, 1000), 10);
    }

    #[test]
    fn bonus_questions_pay_for_listed_answers() {
        let rules = PointRules::parse(
            &json!({"bonus_question": {"points": 5, "questions": {"capital": "Paris", "colour": null}}}),
            &["capital".into(), "colour".into(), "other".into()],
        )
        .unwrap();
        let answers = json!([
            {"id": "capital", "answer": " paris "},
            {"id": "colour", "answer": "blue"},
            {"id": "other", "answer": "x"}
        ]);
        assert_eq!(
            rules.bonus_questions_earned(&answers),
            vec!["capital".to_string(), "colour".to_string()]
        );
        let wrong = json!([{"id": "capital", "answer": "Lyon"}, {"id": "colour", "answer": " "}]);
        assert!(rules.bonus_questions_earned(&wrong).is_empty());
    }

    #[test]
    fn points_turn_into_bonus_entries() {
        assert_eq!(bonus_entries(250, Some(100)), 2);
        assert_eq!(bonus_entries(99, Some(100)), 0);
        assert_eq!(bonus_entries(-50, Some(10)), 0);
        assert_eq!(bonus_entries(1000, None), 0);
        assert_eq!(bonus_entries(i64::MAX, Some(1)), u32::MAX);
    }
}
