//! Contests in the admin API:
//! `GET/POST /api/v1/contests`, `GET/PATCH /api/v1/contests/{id}`,
//! `POST /api/v1/contests/{id}/transition`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::input::{double_option, text};
use crate::auth::admin::AdminAuth;
use crate::db::audit::{self, Audit};
use crate::db::contests::{self, Contest, ContestFields};
use crate::db::pages;
use crate::domain::contest::{self as rules, Kind, Limit, Status};
use crate::error::AppError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/contests", web::get().to(list))
        .route("/contests", web::post().to(create))
        .route("/contests/{id}", web::get().to(show))
        .route("/contests/{id}", web::patch().to(update))
        .route("/contests/{id}/transition", web::post().to(transition))
        .route("/contests/{id}/backfill", web::post().to(backfill));
}

#[derive(Deserialize)]
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
fn validate(input: &ContestInput, current: Option<&Contest>) -> Result<ContestFields, AppError> {
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
            return Err(AppError::invalid(
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

async fn list(
    auth: AdminAuth,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (admin, page) = (auth.admin_id, q.page_id);
    let now = Utc::now();
    let list = state
        .db
        .run(move |c| Ok(contests::list_for_admin(c, admin, page)?))
        .await?;
    let data: Vec<_> = list.iter().map(|c| view(c, now)).collect();
    Ok(HttpResponse::Ok().json(json!({ "data": data })))
}

#[derive(Deserialize)]
struct ListQuery {
    page_id: Option<i64>,
}

/// The API shape: the row plus the status with the clock applied and public URLs.
pub fn view(c: &Contest, now: DateTime<Utc>) -> serde_json::Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["effective_status"] = json!(c.effective_status(now).as_str());
    v["fan_page_path"] = json!(format!("/c/{}", c.slug));
    v
}

async fn create(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    body: web::Json<ContestInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let input = body.into_inner();
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
    let mut fields = validate(&input, None)?;
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
    let admin = auth.admin_id;
    let slug = rules::slugify(&title);
    let contest = state
        .db
        .transaction(move |c| {
            pages::find_for_admin(c, admin, page_id)?;
            let contest = contests::create(c, page_id, &slug, &fields)?;
            audit::record(
                c,
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
        })
        .await?;
    Ok(HttpResponse::Created().json(view(&contest, Utc::now())))
}

async fn show(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let contest = state
        .db
        .run(move |c| Ok(contests::find_for_admin(c, admin, id)?))
        .await?;
    Ok(HttpResponse::Ok().json(view(&contest, Utc::now())))
}

async fn update(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<ContestInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let input = body.into_inner();
    if input.page_id.is_some() {
        return Err(AppError::invalid(
            "page_locked",
            "a contest cannot move to another page",
        ));
    }
    let contest = state
        .db
        .transaction(move |c| {
            let current = contests::lock_for_admin(c, admin, id)?;
            if matches!(current.status(), Status::Closed | Status::WinnersAnnounced) {
                return Err(AppError::conflict(
                    "contest_closed",
                    "a closed contest can no longer be edited",
                ));
            }
            let fields = validate(&input, Some(&current))?;
            let updated = contests::update(c, id, &fields)?;
            audit::record(
                c,
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
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&contest, Utc::now())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionInput {
    to: String,
}

async fn transition(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<TransitionInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let to = Status::parse(&body.to).ok_or_else(|| {
        AppError::invalid("invalid_status", format!("unknown status `{}`", body.to))
    })?;
    let keys = state.keys.clone();
    let contest = state
        .db
        .transaction(move |c| {
            crate::domain::lifecycle::transition(c, id, Some(admin), to, Utc::now(), &keys.tokens)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(&contest, Utc::now())))
}

/// Queues a comment backfill for a comment-to-enter contest (also done on opening).
async fn backfill(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let max = state.settings.worker.max_attempts;
    let queued = state
        .db
        .transaction(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            if contest.kind() != Kind::CommentToEnter || contest.linked_post_id.is_none() {
                return Err(AppError::conflict(
                    "not_comment_to_enter",
                    "only a comment-to-enter contest with a linked post can be backfilled",
                ));
            }
            Ok(crate::domain::lifecycle::queue_backfill(c, id, max)?)
        })
        .await?;
    state.wakeup.wake_all();
    Ok(HttpResponse::Accepted().json(json!({"queued": queued})))
}
