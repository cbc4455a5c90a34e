//! Creating and editing contests: the rules an admin's input must pass, and the
//! audited writes. One implementation behind both the JSON API
//! (`routes/api/contests.rs`) and the dashboard's contest editor.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use serde::Deserialize;
use serde_json::json;

use crate::db::audit::{self, Audit};
use crate::db::contests::{self, Contest, ContestFields};
use crate::db::pages;
use crate::domain::contest::{self as rules, Kind, Limit, Status};
use crate::domain::input::{double_option, text};
use crate::error::AppError;

/// What an admin may set. Absent fields are left alone; `Some(None)` clears a
/// nullable one.
#[derive(Deserialize, Debug, Default, Clone, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContestInput {
    pub page_id: Option<i64>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub prize: Option<String>,
    pub rules_text: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub min_age: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    pub allowed_countries: Option<Option<Vec<String>>>,
    pub entry_limit: Option<String>,
    pub vote_limit: Option<String>,
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub opens_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub closes_at: Option<Option<String>>,
    pub auto_approve: Option<bool>,
    pub voting_enabled: Option<bool>,
    pub form_schema: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "double_option")]
    pub linked_post_id: Option<Option<String>>,
    /// Points per reason with caps; see `domain::points`.
    pub point_rules: Option<serde_json::Value>,
    /// Points per bonus draw entry; null turns bonus entries off.
    #[serde(default, deserialize_with = "double_option")]
    pub points_per_bonus_entry: Option<Option<i32>>,
}

/// Validates input into column values. `current` is the contest being edited.
pub fn validate(
    input: &ContestInput,
    current: Option<&Contest>,
) -> Result<ContestFields, AppError> {
    let mut f = ContestFields::default();
    if let Some(k) = &input.kind {
        let kind = Kind::parse(k).ok_or_else(|| {
            AppError::invalid(
                "invalid_kind",
                "kind must be ugc, sweepstakes or comment_to_enter",
            )
        })?;
        if current.is_some_and(|c| c.status() != Status::Draft && c.kind != k.as_str()) {
            return Err(AppError::conflict(
                "kind_locked",
                "the kind can only change while the contest is a draft",
            ));
        }
        f.kind = Some(kind.as_str().into());
    }
    if let Some(t) = &input.title {
        f.title = Some(text("title", t, 1, 200)?);
    }
    if let Some(d) = &input.description {
        f.description = Some(text("description", d, 0, 5000)?);
    }
    if let Some(p) = &input.prize {
        f.prize = Some(text("prize", p, 0, 500)?);
    }
    if let Some(r) = &input.rules_text {
        let r = text("rules_text", r, 0, 50_000)?;
        f.rules_version = Some(rules::rules_version(&r));
        f.rules_text = Some(r);
    }
    if let Some(age) = input.min_age {
        if age.is_some_and(|a| !(0..=120).contains(&a)) {
            return Err(AppError::invalid(
                "invalid_min_age",
                "min_age must be within 0..=120",
            ));
        }
        f.min_age = Some(age);
    }
    if let Some(countries) = &input.allowed_countries {
        f.allowed_countries = Some(match countries {
            None => None,
            Some(list) if list.is_empty() => None,
            Some(list) => {
                let mut codes = Vec::new();
                for c in list {
                    let code = c.trim().to_uppercase();
                    if crate::domain::entry_form::country_name(&code).is_none() {
                        return Err(AppError::invalid(
                            "invalid_country",
                            format!("`{c}` is not an ISO 3166-1 alpha-2 country code"),
                        ));
                    }
                    codes.push(code);
                }
                Some(codes.join(","))
            }
        });
    }
    for (field, value, slot) in [
        ("entry_limit", &input.entry_limit, &mut f.entry_limit),
        ("vote_limit", &input.vote_limit, &mut f.vote_limit),
    ] {
        if let Some(v) = value {
            let limit = Limit::parse(v).ok_or_else(|| {
                AppError::invalid("invalid_limit", format!("{field} must be once or daily"))
            })?;
            *slot = Some(limit.as_str().into());
        }
    }
    let tz_name = input
        .time_zone
        .clone()
        .or_else(|| current.map(|c| c.time_zone.clone()))
        .unwrap_or_else(|| "UTC".into());
    let tz = rules::parse_time_zone(&tz_name)?;
    if input.time_zone.is_some() {
        f.time_zone = Some(tz_name);
    }
    let parse =
        |v: &Option<Option<String>>, field| -> Result<Option<Option<DateTime<Utc>>>, AppError> {
            match v {
                None => Ok(None),
                Some(None) => Ok(Some(None)),
                Some(Some(s)) => Ok(Some(Some(rules::parse_instant(s, tz, field)?))),
            }
        };
    f.opens_at = parse(&input.opens_at, "opens_at")?;
    f.closes_at = parse(&input.closes_at, "closes_at")?;
    let opens = f
        .opens_at
        .unwrap_or_else(|| current.and_then(|c| c.opens_at));
    let closes = f
        .closes_at
        .unwrap_or_else(|| current.and_then(|c| c.closes_at));
    if let (Some(o), Some(c)) = (opens, closes) {
        if o >= c {
            // A rule between two fields (or a field and the stored schedule), which
            // no JSON Schema can state: a conflict like `kind_locked`, so that every
            // 422 is for something the documented schema also forbids.
            return Err(AppError::conflict(
                "invalid_schedule",
                "opens_at must be before closes_at",
            ));
        }
    }
    f.auto_approve = input.auto_approve;
    f.voting_enabled = input.voting_enabled;
    if let Some(schema) = &input.form_schema {
        let parsed: crate::domain::entry_form::FormSchema = serde_json::from_value(schema.clone())
            .map_err(|e| AppError::invalid("invalid_form_schema", e.to_string()))?;
        if let Err(issues) = parsed.validate() {
            return Err(
                AppError::invalid("invalid_form_schema", "the form schema has problems")
                    .with_details(json!({ "issues": issues })),
            );
        }
        f.form_schema = Some(serde_json::to_value(&parsed)?);
    }
    if let Some(post) = &input.linked_post_id {
        f.linked_post_id = Some(match post {
            None => None,
            Some(p) => Some(
                crate::platform::facebook::graph::target::check_id(p.trim())
                    .map(str::to_string)
                    .map_err(|_| {
                        AppError::invalid(
                            "invalid_post_id",
                            "linked_post_id must be a Facebook post id such as 123_456",
                        )
                    })?,
            ),
        });
    }
    if let Some(rules) = &input.point_rules {
        // Bonus questions must be questions of the form as it will be.
        let schema: crate::domain::entry_form::FormSchema = match &f.form_schema {
            Some(s) => serde_json::from_value(s.clone()).unwrap_or_default(),
            None => current
                .and_then(|c| serde_json::from_value(c.form_schema.clone()).ok())
                .unwrap_or_default(),
        };
        let ids: Vec<String> = schema.questions.iter().map(|q| q.id.clone()).collect();
        let parsed = crate::domain::points::PointRules::parse(rules, &ids)
            .map_err(|e| AppError::invalid("invalid_point_rules", e))?;
        f.point_rules = Some(serde_json::to_value(parsed)?);
    }
    if let Some(per) = input.points_per_bonus_entry {
        if per.is_some_and(|p| !(1..=1_000_000).contains(&p)) {
            return Err(AppError::invalid(
                "invalid_points_per_bonus_entry",
                "points_per_bonus_entry must be within 1..=1000000, or null",
            ));
        }
        f.points_per_bonus_entry = Some(per);
    }
    Ok(f)
}

/// Creates a draft contest on one of the admin's pages (audited). `page_id`,
/// `title` and `kind` are required; the default entry form is used when none is given.
pub fn create(
    conn: &mut PgConnection,
    admin: i64,
    input: &ContestInput,
) -> Result<Contest, AppError> {
    let page_id = input.page_id.ok_or_else(|| {
        AppError::invalid("missing_field", "page_id is required")
            .with_details(json!({"field": "page_id"}))
    })?;
    let title = input.title.clone().ok_or_else(|| {
        AppError::invalid("missing_field", "title is required")
            .with_details(json!({"field": "title"}))
    })?;
    if input.kind.is_none() {
        return Err(AppError::invalid("missing_field", "kind is required")
            .with_details(json!({"field": "kind"})));
    }
    // The page first, as an edit finds its contest first: a page that is not the
    // admin's is a 404 whatever the rest of the body says.
    pages::find_for_admin(conn, admin, page_id)?;
    let mut fields = validate(input, None)?;
    if fields.form_schema.is_none() {
        fields.form_schema = Some(serde_json::to_value(
            crate::domain::entry_form::FormSchema::default(),
        )?);
    }
    if fields.point_rules.is_none() {
        fields.point_rules = Some(serde_json::to_value(
            crate::domain::points::PointRules::starter(),
        )?);
    }
    let slug = rules::slugify(&title);
    let contest = contests::create(conn, page_id, &slug, &fields)?;
    audit::record(
        conn,
        Audit {
            page_id: Some(page_id),
            admin_id: Some(admin),
            action: "contest.created",
            subject_type: "contest",
            subject_id: Some(contest.id),
            details: json!({"title": contest.title, "kind": contest.kind}),
        },
    )?;
    Ok(contest)
}

/// Edits a contest of the admin's (audited). Closed contests are frozen and a
/// contest never moves to another page.
pub fn update(
    conn: &mut PgConnection,
    admin: i64,
    id: i64,
    input: &ContestInput,
) -> Result<Contest, AppError> {
    if input.page_id.is_some() {
        return Err(AppError::invalid(
            "page_locked",
            "a contest cannot move to another page",
        ));
    }
    let current = contests::lock_for_admin(conn, admin, id)?;
    if matches!(current.status(), Status::Closed | Status::WinnersAnnounced) {
        return Err(AppError::conflict(
            "contest_closed",
            "a closed contest can no longer be edited",
        ));
    }
    let fields = validate(input, Some(&current))?;
    let updated = contests::update(conn, id, &fields)?;
    audit::record(
        conn,
        Audit {
            page_id: Some(updated.page_id),
            admin_id: Some(admin),
            action: "contest.updated",
            subject_type: "contest",
            subject_id: Some(id),
            details: json!({"rules_version": updated.rules_version}),
        },
    )?;
    Ok(updated)
}
