//! Entering a contest: the one place the entry rules live.
//!
//! Checked on every entry, in this order: the contest is open by the clock; the
//! kind takes entries through the form (comment-to-enter contests take comments);
//! the form passes its schema (email, postal code, phone, consents) and
//! eligibility (minimum age, allowed countries); a UGC entry has text or an image.
//! Then, in one transaction, the contact is resolved (identity rules in
//! `db::contacts`), the anonymous visitor history is claimed, the entry is stored
//! under the one-per-period constraint, and consents and the timeline are written.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::pg::PgConnection;
use serde_json::json;

use crate::db::activities::{self, NewActivity};
use crate::db::contacts::{self, Observation};
use crate::db::contests::Contest;
use crate::db::entries::{self, Entry, NewEntry};
use crate::domain::contest::{period_key, Kind, Limit, Status};
use crate::domain::entry_form::{
    self, FieldError, FormSchema, Prefill, Submitted, ValidEntry, ValidationContext,
};
use crate::error::AppError;

/// Longest UGC text.
pub const MAX_TEXT_CHARS: usize = 2000;

/// Who is entering, as far as the request knows.
#[derive(Debug, Clone, Default)]
pub struct Entrant {
    /// App-scoped id from a Facebook login or an authorised signed_request.
    pub asid: Option<String>,
    pub visitor_id: Option<String>,
    pub prefill: Prefill,
    pub ip: Option<String>,
    pub user_agent_hash: Option<String>,
    /// The referral code of a verified attribution cookie (`domain::referrals`).
    pub referral: Option<String>,
}

/// Why an entry was refused; each maps to a clear page or JSON error.
#[derive(Debug)]
pub enum Refusal {
    NotOpen(Status),
    WrongKind,
    Invalid(Vec<FieldError>),
    /// Already entered in this period (once per contest, or per day).
    Duplicate {
        entry_id: i64,
        daily: bool,
    },
}

impl Refusal {
    pub fn to_app_error(&self) -> AppError {
        match self {
            Refusal::NotOpen(s) => AppError::conflict(
                "contest_not_open",
                match s {
                    Status::Closed | Status::WinnersAnnounced => {
                        "this contest has closed; entries are no longer accepted"
                    }
                    _ => "this contest is not open for entries yet",
                },
            )
            .with_details(json!({"status": s.as_str()})),
            Refusal::WrongKind => AppError::conflict(
                "enter_by_comment",
                "enter this contest by commenting on the linked post",
            ),
            Refusal::Invalid(errors) => {
                let eligibility = errors
                    .iter()
                    .any(|e| matches!(e.code.as_str(), "too_young" | "country_not_allowed"));
                let base = entry_form::entry_rejected(errors);
                if eligibility {
                    AppError::forbidden("ineligible", "you are not eligible for this contest")
                        .with_details(base.details().cloned().unwrap_or_default())
                } else {
                    base
                }
            }
            Refusal::Duplicate { entry_id, daily } => AppError::conflict(
                "duplicate_entry",
                if *daily {
                    "you already entered today; come back tomorrow"
                } else {
                    "you already entered this contest"
                },
            )
            .with_details(json!({"entry_id": entry_id})),
        }
    }
}

pub struct Submission {
    pub form: Submitted,
    pub text: Option<String>,
    /// Name of an already stored upload (content hash), for UGC.
    pub image_name: Option<String>,
}

pub fn today_in(contest: &Contest, now: DateTime<Utc>) -> chrono::NaiveDate {
    let tz: Tz = contest.time_zone.parse().unwrap_or(chrono_tz::UTC);
    now.with_timezone(&tz).date_naive()
}

/// Validates without touching the database (also used to re-render the form).
pub fn check(
    contest: &Contest,
    sub: &Submission,
    entrant: &Entrant,
    now: DateTime<Utc>,
) -> Result<ValidEntry, Refusal> {
    let status = contest.effective_status(now);
    if status != Status::Open {
        return Err(Refusal::NotOpen(status));
    }
    if contest.kind() == Kind::CommentToEnter {
        return Err(Refusal::WrongKind);
    }
    let schema: FormSchema =
        serde_json::from_value(contest.form_schema.clone()).unwrap_or_default();
    let ctx = ValidationContext {
        today: today_in(contest, now),
        rules_version: contest.rules_version.clone(),
        min_age: contest.min_age.map(|a| a.max(0) as u32),
        allowed_countries: contest.allowed_country_list(),
        prefill: entrant.prefill.clone(),
    };
    let mut errors = Vec::new();
    let valid = match entry_form::validate(&schema, &sub.form, &ctx) {
        Ok(v) => Some(v),
        Err(e) => {
            errors = e;
            None
        }
    };
    if contest.kind() == Kind::Ugc {
        let text = sub.text.as_deref().map(str::trim).unwrap_or("");
        if text.chars().count() > MAX_TEXT_CHARS {
            errors.push(FieldError::new(
                "text",
                entry_form::ErrorCode::TooLong,
                format!("Please keep your entry under {MAX_TEXT_CHARS} characters."),
            ));
        } else if text.chars().any(|c| c == '\0') {
            errors.push(FieldError::new(
                "text",
                entry_form::ErrorCode::InvalidCharacters,
                "Your entry contains characters we cannot store.",
            ));
        } else if text.is_empty() && sub.image_name.is_none() {
            errors.push(FieldError::new(
                "text",
                entry_form::ErrorCode::Required,
                "Describe your idea or upload an image (or both).",
            ));
        }
    }
    match (valid, errors.is_empty()) {
        (Some(v), true) => Ok(v),
        _ => Err(Refusal::Invalid(errors)),
    }
}

#[derive(Debug)]
pub struct Entered {
    pub entry: Entry,
    pub contact_id: i64,
}

/// Stores a checked entry (see the module doc for what happens, in one transaction).
pub fn store(
    conn: &mut PgConnection,
    contest: &Contest,
    valid: &ValidEntry,
    sub: &Submission,
    entrant: &Entrant,
    now: DateTime<Utc>,
) -> Result<Result<Entered, Refusal>, AppError> {
    let resolved = contacts::resolve(
        conn,
        &Observation {
            page_id: contest.page_id,
            asid: entrant.asid.clone(),
            email: valid.email.clone(),
            display_name: valid.name.clone(),
            // The first source of a new contact (an existing one keeps its own):
            // a verified referral attribution wins, then a Facebook login.
            source: if entrant.referral.is_some() {
                "referral"
            } else if entrant.asid.is_some() {
                "login"
            } else {
                "fan_page"
            },
            postal_code: valid.postal_code.clone(),
            country: valid.country.clone(),
            age_min: valid.age.map(|a| a as i32),
            age_max: valid.age.map(|a| a as i32),
            ..Default::default()
        },
    )?;
    let contact_id = resolved.contact_id;
    if let Some(v) = &entrant.visitor_id {
        crate::db::visitors::link(conn, v, contest.page_id, contact_id)?;
        activities::claim_visitor(conn, v, contact_id)?;
    }
    let limit = Limit::parse(&contest.entry_limit).unwrap_or(Limit::Once);
    let text = sub
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let new = NewEntry {
        contest_id: contest.id,
        page_id: contest.page_id,
        contact_id,
        entry_period: period_key(limit, &contest.time_zone, now),
        source: if entrant.asid.is_some() {
            "login"
        } else {
            "form"
        }
        .into(),
        status: if contest.auto_approve {
            "approved"
        } else {
            "pending"
        }
        .into(),
        sentiment: text.as_deref().map(crate::domain::sentiment::score),
        text,
        image_name: sub.image_name.clone(),
        answers: json!(valid
            .answers
            .iter()
            .map(|(id, a)| json!({"id": id, "answer": a}))
            .collect::<Vec<_>>()),
        comment_id: None,
        ip: entrant.ip.clone(),
        user_agent_hash: entrant.user_agent_hash.clone(),
    };
    let entry = match entries::insert(conn, &new)? {
        Ok(e) => e,
        Err(existing) => {
            return Ok(Err(Refusal::Duplicate {
                entry_id: existing,
                daily: limit == Limit::Daily,
            }))
        }
    };
    // Without JavaScript no beacon reports the form start: the entry implies it
    // (same key as the beacon's, so it counts once a day; `domain::form_start`).
    if let Some(v) = &entrant.visitor_id {
        crate::domain::form_start::record(
            conn,
            contest.page_id,
            contest.id,
            v,
            Some(contact_id),
            "entry",
            now,
        )?;
    }
    for consent in &valid.consents {
        crate::db::consents::record(
            conn,
            contact_id,
            Some(contest.id),
            Some(entry.id),
            consent.kind.as_str(),
            consent.granted,
            &consent.text_version,
        )?;
    }
    activities::record(
        conn,
        &NewActivity {
            page_id: contest.page_id,
            contact_id: Some(contact_id),
            visitor_id: entrant.visitor_id.as_deref(),
            contest_id: Some(contest.id),
            kind: "entry",
            occurred_at: now,
            details: json!({"entry_id": entry.id, "source": entry.source, "sentiment": entry.sentiment}),
            dedupe_key: Some(format!("entry:{}", entry.id)),
        },
    )?;
    crate::domain::hooks::after_entry(conn, contest, &entry, entrant, now)?;
    crate::jobs::handlers::segments_refresh::queue(conn)?;
    Ok(Ok(Entered { entry, contact_id }))
}
