//! The contest editor: `GET /dashboard/contests/new`, `POST /dashboard/contests`,
//! `GET /dashboard/contests/{id}/edit`, `POST /dashboard/contests/{id}`.
//!
//! The form is plain HTML (no JavaScript needed): the schedule as local
//! date-times in the contest's time zone, eligibility as a country multi-select,
//! and the entry-form schema as one radio group per standard field plus a fixed
//! number of question rows (existing questions and a few blank ones; a blank row
//! is ignored, and ticking "Remove" drops a question). What the admin typed
//! becomes a [`ContestInput`] and goes through `domain::contest_admin`, the same
//! validation and audited writes as the JSON API. A refused form is shown again
//! with everything the admin typed and the problems on top.

use std::sync::OnceLock;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use askama::Template;
use chrono_tz::Tz;

use super::{explain, see_other, Ctx, DashError, DashResult, FormData};
use crate::db::contests::{self, Contest};
use crate::domain::contest::Status;
use crate::domain::contest_admin::{self, ContestInput};
use crate::domain::entry_form::{
    FormSchema, MarketingConsent, Question, QuestionKind, Requirement, StandardField,
    StandardFields, Visibility, COUNTRIES, MAX_QUESTIONS,
};
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Flash, FlashKind, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/contests/new", web::get().to(new))
        .route("/dashboard/contests", web::post().to(create))
        .route("/dashboard/contests/{id:\\d+}/edit", web::get().to(edit))
        .route("/dashboard/contests/{id:\\d+}", web::post().to(update));
}

/// Blank question rows offered below the existing ones.
const BLANK_QUESTION_ROWS: usize = 3;

/// One standard field's radio group.
pub struct FieldRow {
    pub key: &'static str,
    pub label: &'static str,
    pub visibility: &'static str,
}

/// One question row, as strings (what the inputs show).
#[derive(Default, Clone)]
pub struct QuestionRow {
    pub id: String,
    pub label: String,
    pub kind: String,
    pub choices: String,
    pub required: bool,
    pub max_length: String,
    /// Answering it earns the bonus-question points.
    pub bonus: bool,
    /// Only this answer earns them (blank: any answer).
    pub bonus_answer: String,
}

/// Everything the editor shows, as the admin typed it (or from the contest).
pub struct Values {
    pub kind: String,
    pub title: String,
    pub description: String,
    pub prize: String,
    pub rules_text: String,
    pub min_age: String,
    pub countries: Vec<String>,
    pub entry_limit: String,
    pub vote_limit: String,
    pub time_zone: String,
    pub opens_at: String,
    pub closes_at: String,
    pub auto_approve: bool,
    pub voting_enabled: bool,
    pub linked_post_id: String,
    pub fields: Vec<FieldRow>,
    pub questions: Vec<QuestionRow>,
    pub marketing_text: String,
    pub marketing_version: String,
    /// Point rules per reason; `None` when the form had no points section.
    pub points: Option<Vec<PointRow>>,
    pub bonus_entry_points: String,
}

/// One configurable point reason in the editor: blank points mean it earns
/// nothing, blank caps mean no cap.
pub struct PointRow {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub points: String,
    pub per_day: String,
    pub per_contact: String,
}

/// The reasons the editor offers, in order (see `domain::points`).
const POINT_REASONS: &[(&str, &str, &str)] = &[
    ("entry", "Entering", "For each entry."),
    (
        "referral_conversion",
        "Bringing a friend who enters",
        "For each person who enters through the fan's invite link.",
    ),
    (
        "vote_received",
        "Votes received",
        "For each vote the fan's entry gets.",
    ),
    (
        "daily_visit",
        "Daily visit",
        "For coming back to the contest page, once a day.",
    ),
    (
        "bonus_question",
        "Bonus questions",
        "For each question of the entry form ticked “Earns bonus points” that the fan answers.",
    ),
];

fn point_rows(rules: &serde_json::Value) -> Vec<PointRow> {
    let num = |v: &serde_json::Value| v.as_i64().map(|n| n.to_string()).unwrap_or_default();
    POINT_REASONS
        .iter()
        .map(|(key, label, hint)| {
            let r = &rules[*key];
            PointRow {
                key,
                label,
                hint,
                points: num(&r["points"]),
                per_day: num(&r["per_day"]),
                per_contact: num(&r["per_contact"]),
            }
        })
        .collect()
}

fn visibility_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Required => "required",
        Visibility::Optional => "optional",
        Visibility::Hidden => "hidden",
    }
}

fn parse_visibility(s: &str) -> Option<Visibility> {
    Some(match s {
        "required" => Visibility::Required,
        "optional" => Visibility::Optional,
        "hidden" => Visibility::Hidden,
        _ => return None,
    })
}

fn field_rows(fields: &StandardFields) -> Vec<FieldRow> {
    StandardField::ALL
        .iter()
        .map(|f| FieldRow {
            key: f.key(),
            label: f.label(),
            visibility: visibility_str(fields.get(*f)),
        })
        .collect()
}

fn pad_questions(mut rows: Vec<QuestionRow>) -> Vec<QuestionRow> {
    let target = (rows.len() + BLANK_QUESTION_ROWS).min(MAX_QUESTIONS.max(rows.len()));
    while rows.len() < target {
        rows.push(QuestionRow {
            kind: "text".into(),
            ..Default::default()
        });
    }
    rows
}

fn local_input(t: Option<chrono::DateTime<chrono::Utc>>, tz: &str) -> String {
    let tz: Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    t.map(|t| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

impl Values {
    fn defaults() -> Values {
        Values {
            kind: "ugc".into(),
            title: String::new(),
            description: String::new(),
            prize: String::new(),
            rules_text: String::new(),
            min_age: String::new(),
            countries: Vec::new(),
            entry_limit: "once".into(),
            vote_limit: "daily".into(),
            time_zone: "UTC".into(),
            opens_at: String::new(),
            closes_at: String::new(),
            auto_approve: false,
            voting_enabled: true,
            linked_post_id: String::new(),
            fields: field_rows(&StandardFields::default()),
            questions: pad_questions(Vec::new()),
            marketing_text: String::new(),
            marketing_version: String::new(),
            points: Some(point_rows(
                &serde_json::to_value(crate::domain::points::PointRules::starter())
                    .unwrap_or_default(),
            )),
            bonus_entry_points: String::new(),
        }
    }

    fn from_contest(c: &Contest) -> Values {
        let schema: FormSchema = serde_json::from_value(c.form_schema.clone()).unwrap_or_default();
        let bonus = &c.point_rules["bonus_question"]["questions"];
        let questions = schema
            .questions
            .iter()
            .map(|q| QuestionRow {
                id: q.id.clone(),
                label: q.label.clone(),
                kind: match q.kind {
                    QuestionKind::Text => "text".into(),
                    QuestionKind::Choice => "choice".into(),
                },
                choices: q.choices.join("\n"),
                required: q.visibility.is_required(),
                max_length: q.max_length.map(|m| m.to_string()).unwrap_or_default(),
                bonus: bonus.get(&q.id).is_some(),
                bonus_answer: bonus[&q.id].as_str().unwrap_or("").to_string(),
            })
            .collect();
        Values {
            kind: c.kind.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            prize: c.prize.clone(),
            rules_text: c.rules_text.clone(),
            min_age: c.min_age.map(|a| a.to_string()).unwrap_or_default(),
            countries: c.allowed_country_list().unwrap_or_default(),
            entry_limit: c.entry_limit.clone(),
            vote_limit: c.vote_limit.clone(),
            time_zone: c.time_zone.clone(),
            opens_at: local_input(c.opens_at, &c.time_zone),
            closes_at: local_input(c.closes_at, &c.time_zone),
            auto_approve: c.auto_approve,
            voting_enabled: c.voting_enabled,
            linked_post_id: c.linked_post_id.clone().unwrap_or_default(),
            fields: field_rows(&schema.fields),
            questions: pad_questions(questions),
            marketing_text: schema
                .marketing
                .as_ref()
                .map(|m| m.text.clone())
                .unwrap_or_default(),
            marketing_version: schema
                .marketing
                .as_ref()
                .map(|m| m.version.clone())
                .unwrap_or_default(),
            points: Some(point_rows(&c.point_rules)),
            bonus_entry_points: c
                .points_per_bonus_entry
                .map(|n| n.to_string())
                .unwrap_or_default(),
        }
    }

    fn from_form(f: &FormData, current_kind: Option<&str>) -> Values {
        let s = |name: &str| f.get(name).unwrap_or("").to_string();
        let fields = StandardField::ALL
            .iter()
            .map(|field| {
                let name = format!("field_{}", field.key());
                let v = f
                    .get(&name)
                    .and_then(parse_visibility)
                    .unwrap_or_else(|| StandardFields::default().get(*field));
                FieldRow {
                    key: field.key(),
                    label: field.label(),
                    visibility: visibility_str(v),
                }
            })
            .collect();
        let mut questions = Vec::new();
        for i in 0..MAX_QUESTIONS {
            let p = |k: &str| format!("q{i}_{k}");
            if f.get(&p("label")).is_none() && f.get(&p("id")).is_none() {
                continue;
            }
            if f.checked(&p("remove")) {
                continue;
            }
            questions.push(QuestionRow {
                id: s(&p("id")).trim().to_string(),
                label: s(&p("label")),
                kind: f.get(&p("kind")).unwrap_or("text").to_string(),
                choices: s(&p("choices")),
                required: f.checked(&p("required")),
                max_length: s(&p("max_length")).trim().to_string(),
                bonus: f.checked(&p("bonus")),
                bonus_answer: s(&p("bonus_answer")).trim().to_string(),
            });
        }
        // Rows left blank are dropped, then blanks are offered again.
        questions.retain(|q| !q.label.trim().is_empty() || !q.id.is_empty());
        Values {
            // A disabled select is not submitted: the kind of a non-draft stays.
            kind: f.get("kind").or(current_kind).unwrap_or("ugc").to_string(),
            title: s("title"),
            description: s("description"),
            prize: s("prize"),
            rules_text: s("rules_text"),
            min_age: s("min_age").trim().to_string(),
            countries: f
                .all("allowed_countries")
                .into_iter()
                .map(str::to_string)
                .collect(),
            entry_limit: s("entry_limit"),
            vote_limit: s("vote_limit"),
            time_zone: s("time_zone"),
            opens_at: s("opens_at").trim().to_string(),
            closes_at: s("closes_at").trim().to_string(),
            auto_approve: f.checked("auto_approve"),
            voting_enabled: f.checked("voting_enabled"),
            linked_post_id: s("linked_post_id").trim().to_string(),
            fields,
            questions: pad_questions(questions),
            marketing_text: s("marketing_text"),
            marketing_version: s("marketing_version"),
            points: f.checked("points_present").then(|| {
                POINT_REASONS
                    .iter()
                    .map(|(key, label, hint)| PointRow {
                        key,
                        label,
                        hint,
                        points: s(&format!("points_{key}")).trim().to_string(),
                        per_day: s(&format!("points_{key}_per_day")).trim().to_string(),
                        per_contact: s(&format!("points_{key}_per_contact")).trim().to_string(),
                    })
                    .collect()
            }),
            bonus_entry_points: s("points_per_bonus_entry").trim().to_string(),
        }
    }

    /// The point rules as `domain::points` reads them (it validates the ranges).
    fn point_rules(&self) -> Result<Option<serde_json::Value>, AppError> {
        let Some(rows) = &self.points else {
            return Ok(None);
        };
        let number = |v: &str, what: String| -> Result<Option<i64>, AppError> {
            match v {
                "" => Ok(None),
                v => v.parse::<i64>().map(Some).map_err(|_| {
                    AppError::invalid(
                        "invalid_point_rules",
                        format!("{what} must be a whole number"),
                    )
                }),
            }
        };
        let mut rules = serde_json::Map::new();
        for r in rows {
            let Some(points) = number(&r.points, format!("points for {}", r.label.to_lowercase()))?
            else {
                continue;
            };
            let mut rule = serde_json::json!({ "points": points });
            if let Some(d) = number(
                &r.per_day,
                format!("the daily cap for {}", r.label.to_lowercase()),
            )? {
                rule["per_day"] = d.into();
            }
            if let Some(c) = number(
                &r.per_contact,
                format!("the cap per fan for {}", r.label.to_lowercase()),
            )? {
                rule["per_contact"] = c.into();
            }
            if r.key == "bonus_question" {
                rule["questions"] = self.bonus_questions()?;
            }
            rules.insert(r.key.to_string(), rule);
        }
        Ok(Some(serde_json::Value::Object(rules)))
    }

    /// The questions ticked "Earns bonus points", by the ids `schema` gives
    /// them: `{id: expected answer or null}` as `domain::points` reads it.
    fn bonus_questions(&self) -> Result<serde_json::Value, AppError> {
        let schema = self.schema()?;
        let rows = self
            .questions
            .iter()
            .filter(|q| !q.label.trim().is_empty() || !q.id.is_empty());
        let mut out = serde_json::Map::new();
        for (row, q) in rows.zip(&schema.questions) {
            if row.bonus {
                let answer = (!row.bonus_answer.is_empty()).then(|| row.bonus_answer.clone());
                out.insert(q.id.clone(), answer.into());
            }
        }
        Ok(serde_json::Value::Object(out))
    }

    /// The editor's values as API input. Everything is sent, so clearing a field
    /// clears it. Only malformed numbers are refused here; every rule is the domain's.
    fn to_input(&self, page_id: Option<i64>, send_kind: bool) -> Result<ContestInput, AppError> {
        let opt = |s: &str| {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        };
        let min_age = match self.min_age.trim() {
            "" => None,
            a => Some(a.parse::<i32>().map_err(|_| {
                AppError::invalid("invalid_min_age", "the minimum age must be a whole number")
            })?),
        };
        Ok(ContestInput {
            page_id,
            kind: send_kind.then(|| self.kind.clone()),
            title: Some(self.title.clone()),
            description: Some(self.description.clone()),
            prize: Some(self.prize.clone()),
            rules_text: Some(self.rules_text.clone()),
            min_age: Some(min_age),
            allowed_countries: Some(Some(self.countries.clone())),
            entry_limit: Some(self.entry_limit.clone()),
            vote_limit: Some(self.vote_limit.clone()),
            time_zone: Some(self.time_zone.clone()),
            opens_at: Some(opt(&self.opens_at)),
            closes_at: Some(opt(&self.closes_at)),
            auto_approve: Some(self.auto_approve),
            voting_enabled: Some(self.voting_enabled),
            form_schema: Some(serde_json::to_value(self.schema()?)?),
            linked_post_id: Some(opt(&self.linked_post_id)),
            point_rules: self.point_rules()?,
            points_per_bonus_entry: match (&self.points, self.bonus_entry_points.as_str()) {
                (None, _) => None,
                (Some(_), "") => Some(None),
                (Some(_), n) => Some(Some(n.parse::<i32>().map_err(|_| {
                    AppError::invalid(
                        "invalid_points_per_bonus_entry",
                        "points per bonus entry must be a whole number",
                    )
                })?)),
            },
        })
    }

    /// The entry-form schema the editor describes (validated by the domain later).
    fn schema(&self) -> Result<FormSchema, AppError> {
        let mut fields = StandardFields::default();
        for row in &self.fields {
            let v = parse_visibility(row.visibility).unwrap_or(Visibility::Hidden);
            match row.key {
                "name" => fields.name = v,
                "email" => fields.email = v,
                "postal_code" => fields.postal_code = v,
                "phone" => fields.phone = v,
                "birth_date" => fields.birth_date = v,
                "country" => fields.country = v,
                _ => {}
            }
        }
        let mut questions: Vec<Question> = Vec::new();
        for (i, row) in self
            .questions
            .iter()
            .filter(|q| !q.label.trim().is_empty() || !q.id.is_empty())
            .enumerate()
        {
            let kind = if row.kind == "choice" {
                QuestionKind::Choice
            } else {
                QuestionKind::Text
            };
            let max_length = match (kind, row.max_length.as_str()) {
                (QuestionKind::Text, m) if !m.is_empty() => {
                    Some(m.parse::<u32>().map_err(|_| {
                        AppError::invalid(
                            "invalid_form_schema",
                            format!(
                                "question {}: the answer length must be a whole number",
                                i + 1
                            ),
                        )
                    })?)
                }
                _ => None,
            };
            let id = if row.id.is_empty() {
                unique_id(&derive_id(&row.label), &questions)
            } else {
                row.id.clone()
            };
            questions.push(Question {
                id,
                label: row.label.trim().to_string(),
                kind,
                choices: if kind == QuestionKind::Choice {
                    row.choices
                        .lines()
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_string)
                        .collect()
                } else {
                    Vec::new()
                },
                visibility: if row.required {
                    Requirement::Required
                } else {
                    Requirement::Optional
                },
                max_length,
            });
        }
        let (text, version) = (self.marketing_text.trim(), self.marketing_version.trim());
        let marketing = (!text.is_empty() || !version.is_empty()).then(|| MarketingConsent {
            text: text.to_string(),
            version: version.to_string(),
        });
        Ok(FormSchema {
            fields,
            questions,
            marketing,
        })
    }

    pub fn has_country(&self, code: &&str) -> bool {
        self.countries.iter().any(|c| c.eq_ignore_ascii_case(code))
    }
}

/// A question id from its label: lowercase letters, digits and `_`, at most 40.
fn derive_id(label: &str) -> String {
    let mut id = String::new();
    for ch in label.chars().flat_map(|c| c.to_lowercase()) {
        if ch.is_ascii_alphanumeric() {
            id.push(ch);
        } else if !id.ends_with('_') && !id.is_empty() {
            id.push('_');
        }
        if id.len() >= 32 {
            break;
        }
    }
    let id = id.trim_matches('_').to_string();
    if id.is_empty() {
        "question".into()
    } else {
        id
    }
}

fn unique_id(base: &str, taken: &[Question]) -> String {
    let mut id = base.to_string();
    let mut n = 2;
    while taken.iter().any(|q| q.id == id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

/// IANA zones for the select: the canonical `Region/City` names and UTC.
fn time_zones() -> &'static [&'static str] {
    static ZONES: OnceLock<Vec<&'static str>> = OnceLock::new();
    ZONES.get_or_init(|| {
        const REGIONS: &[&str] = &[
            "Africa/",
            "America/",
            "Antarctica/",
            "Asia/",
            "Atlantic/",
            "Australia/",
            "Europe/",
            "Indian/",
            "Pacific/",
        ];
        let mut zones: Vec<&'static str> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .filter(|n| REGIONS.iter().any(|r| n.starts_with(r)))
            .collect();
        zones.sort_unstable();
        zones.insert(0, "UTC");
        zones
    })
}

#[derive(Template)]
#[template(path = "dashboard/contest_form.html")]
struct EditorPage {
    layout: DashboardLayout,
    csrf: String,
    /// `None` for a new contest.
    contest_id: Option<i64>,
    slug: Option<String>,
    kind_locked: bool,
    page_name: String,
    v: Values,
    zones: &'static [&'static str],
    countries: &'static [(&'static str, &'static str)],
}

impl EditorPage {
    fn action(&self) -> String {
        match self.contest_id {
            Some(id) => format!("/dashboard/contests/{id}"),
            None => "/dashboard/contests".into(),
        }
    }
    fn zone_listed(&self) -> bool {
        self.zones.contains(&self.v.time_zone.as_str())
    }
}

fn editor(
    ctx: &Ctx,
    contest: Option<&Contest>,
    v: Values,
    flashes: Vec<Flash>,
) -> Result<EditorPage, DashError> {
    let title = match contest {
        Some(c) => format!("Edit “{}”", c.title),
        None => "New contest".into(),
    };
    let mut layout = ctx.layout(title, Section::Contests);
    layout.flashes.extend(flashes);
    Ok(EditorPage {
        layout,
        csrf: ctx.csrf.clone(),
        contest_id: contest.map(|c| c.id),
        slug: contest.map(|c| c.slug.clone()),
        kind_locked: contest.is_some_and(|c| c.status() != Status::Draft),
        page_name: ctx.current_page()?.name.clone(),
        v,
        zones: time_zones(),
        countries: COUNTRIES,
    })
}

async fn new(ctx: Ctx) -> DashResult {
    let page = editor(&ctx, None, Values::defaults(), Vec::new())?;
    ctx.render(&page)
}

async fn edit(state: web::Data<AppState>, ctx: Ctx, path: web::Path<i64>) -> DashResult {
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let contest = state
        .db
        .run(move |c| Ok(contests::find_for_admin(c, admin, id)?))
        .await?;
    let mut notes = Vec::new();
    if matches!(contest.status(), Status::Closed | Status::WinnersAnnounced) {
        notes.push(Flash::new(
            FlashKind::Info,
            "This contest is closed, so it can no longer be edited.",
        ));
    }
    let page = editor(&ctx, Some(&contest), Values::from_contest(&contest), notes)?;
    ctx.render(&page)
}

/// Shows the form again with the admin's input and what was wrong (422).
fn refused(ctx: &Ctx, contest: Option<&Contest>, v: Values, e: AppError) -> DashResult {
    if !e.status().is_client_error() || e.status() == StatusCode::NOT_FOUND {
        return Err(e.into());
    }
    let flash = Flash::new(
        FlashKind::Error,
        format!("The contest was not saved. {}", explain(&e)),
    );
    let page = editor(ctx, contest, v, vec![flash])?;
    ctx.render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let page_id = ctx.current_page()?.id;
    let v = Values::from_form(&form, None);
    let input = match v.to_input(Some(page_id), true) {
        Ok(i) => i,
        Err(e) => return refused(&ctx, None, v, e),
    };
    let admin = ctx.admin_id();
    let result = state
        .db
        .transaction(move |c| contest_admin::create(c, admin, &input))
        .await;
    match result {
        Ok(contest) => Ok(see_other(
            &state,
            &format!("/dashboard/contests/{}", contest.id),
            &[Flash::new(
                FlashKind::Success,
                format!(
                    "“{}” was created as a draft. Open it when you are ready.",
                    contest.title
                ),
            )],
        )),
        Err(e) => refused(&ctx, None, v, e),
    }
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let current = state
        .db
        .run(move |c| Ok(contests::find_for_admin(c, admin, id)?))
        .await?;
    let v = Values::from_form(&form, Some(&current.kind));
    let input = match v.to_input(None, current.status() == Status::Draft) {
        Ok(i) => i,
        Err(e) => return refused(&ctx, Some(&current), v, e),
    };
    let result = state
        .db
        .transaction(move |c| contest_admin::update(c, admin, id, &input))
        .await;
    match result {
        Ok(contest) => Ok(see_other(
            &state,
            &format!("/dashboard/contests/{id}"),
            &[Flash::new(
                FlashKind::Success,
                format!("“{}” was saved.", contest.title),
            )],
        )),
        Err(e) => refused(&ctx, Some(&current), v, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn the_form_becomes_a_schema_the_domain_accepts() {
        let f = form(&[
            ("kind", "ugc"),
            ("title", "Shirt"),
            ("entry_limit", "once"),
            ("vote_limit", "daily"),
            ("time_zone", "Europe/Oslo"),
            ("field_name", "required"),
            ("field_email", "optional"),
            ("field_country", "optional"),
            ("q0_label", "Your shirt size?"),
            ("q0_kind", "choice"),
            ("q0_choices", "S\r\nM\n\nL\n"),
            ("q0_required", "on"),
            ("q1_label", "Favourite colour"),
            ("q1_kind", "text"),
            ("q1_max_length", "40"),
            ("q2_label", ""),
            ("q3_label", "Dropped"),
            ("q3_remove", "on"),
            ("allowed_countries", "SE"),
            ("allowed_countries", "no"),
            ("marketing_text", "News from us"),
            ("marketing_version", "v1"),
        ]);
        let v = Values::from_form(&f, None);
        assert_eq!(
            v.questions.iter().filter(|q| !q.label.is_empty()).count(),
            2
        );
        let schema = v.schema().unwrap();
        assert!(schema.validate().is_ok(), "{:?}", schema.validate());
        assert_eq!(schema.fields.name, Visibility::Required);
        assert_eq!(schema.fields.email, Visibility::Optional);
        assert_eq!(schema.fields.phone, Visibility::Hidden);
        assert_eq!(schema.questions[0].id, "your_shirt_size");
        assert_eq!(schema.questions[0].choices, ["S", "M", "L"]);
        assert!(schema.questions[0].visibility.is_required());
        assert_eq!(schema.questions[1].max_length, Some(40));
        assert!(schema.questions[1].choices.is_empty());
        assert_eq!(schema.marketing.unwrap().version, "v1");
        let input = v.to_input(Some(1), true).unwrap();
        assert_eq!(
            input.allowed_countries,
            Some(Some(vec!["SE".to_string(), "no".to_string()]))
        );
        assert_eq!(input.opens_at, Some(None), "blank clears the schedule");
        let fields = contest_admin::validate(&input, None).unwrap();
        assert_eq!(fields.allowed_countries, Some(Some("SE,NO".into())));
    }

    #[test]
    fn duplicate_labels_get_distinct_ids_and_bad_numbers_are_refused() {
        let f = form(&[
            ("q0_label", "Size"),
            ("q1_label", "size!"),
            ("q2_label", "Colour"),
            ("q2_max_length", "many"),
        ]);
        let v = Values::from_form(&f, None);
        let err = v.schema().unwrap_err();
        assert_eq!(err.code(), "invalid_form_schema");
        let f = form(&[("q0_label", "Size"), ("q1_label", "size!")]);
        let schema = Values::from_form(&f, None).schema().unwrap();
        assert_eq!(
            schema
                .questions
                .iter()
                .map(|q| q.id.as_str())
                .collect::<Vec<_>>(),
            ["size", "size_2"]
        );
        let f = form(&[("min_age", "eighteen")]);
        assert_eq!(
            Values::from_form(&f, None)
                .to_input(None, false)
                .unwrap_err()
                .code(),
            "invalid_min_age"
        );
    }

    #[test]
    fn a_contest_round_trips_through_the_editor() {
        let schema = json!({
            "fields": {"name": "required", "email": "hidden", "country": "optional"},
            "questions": [{"id": "size", "label": "Size", "kind": "choice", "choices": ["S", "M"], "visibility": "required"}],
            "marketing": {"text": "News", "version": "2"}
        });
        let parsed: FormSchema = serde_json::from_value(schema).unwrap();
        let rows = field_rows(&parsed.fields);
        assert_eq!(rows[0].visibility, "required");
        assert_eq!(rows[1].visibility, "hidden");
        let padded = pad_questions(vec![QuestionRow::default(); 9]);
        assert_eq!(padded.len(), MAX_QUESTIONS);
        assert!(time_zones().contains(&"Europe/Stockholm"));
        assert_eq!(time_zones()[0], "UTC");
    }
}
