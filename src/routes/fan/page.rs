//! Rendering the fan page of a contest (`GET /c/{slug}`, and the tab routes), the
//! full official rules, and the privacy note.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;

use super::context::FanRequest;
use super::holes::{sentinel, Hole};
use crate::db::contests::{self, Contest};
use crate::db::pages::{self, Page};
use crate::domain::contest::{Kind, Status};
use crate::domain::entry_form::{self, DisplayConsent, DisplayField, FieldError, FormSchema};
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{FanLayout, Flash, FlashKind};

#[derive(Template)]
#[template(path = "fan/contest.html")]
pub struct ContestPage {
    pub layout: FanLayout,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub prize: String,
    pub rules_summary: String,
    pub rules_truncated: bool,
    pub schedule: String,
    pub status_label: &'static str,
    pub is_open: bool,
    pub is_ugc: bool,
    pub is_comment: bool,
    pub voting: bool,
    pub marketing_offered: bool,
    pub fields: Vec<DisplayField>,
    pub consents: Vec<DisplayConsent>,
    pub values: HashMap<String, String>,
    pub errors: HashMap<String, String>,
    pub text_value: String,
    pub signed_request: Option<String>,
    pub csrf: String,
    pub login_url: String,
    pub fan_name: Option<String>,
    pub page_url: String,
    pub max_image_mb: usize,
    /// Gallery, leaderboard, prize poll and winners: the same for every fan.
    /// The fan's own part (entries, votes, points, invite link) is loaded by the
    /// page from `super::me`, so rendering this page needs no database.
    pub shared: std::sync::Arc<super::shared::Shared>,
}

impl ContestPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }
    pub fn error_id(&self, field: &str) -> String {
        format!("err-{field}")
    }
}

/// What the page needs besides the contest: form echo and messages.
#[derive(Default)]
pub struct PageExtras {
    pub values: HashMap<String, String>,
    pub errors: Vec<FieldError>,
    pub flashes: Vec<Flash>,
    pub signed_request: Option<String>,
    pub text: Option<String>,
    /// Messages about fields the form does not show (e.g. age from Facebook).
    pub general: Vec<String>,
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Draft => "Draft",
        Status::PrizePoll => "Prize poll",
        Status::Scheduled => "Opening soon",
        Status::Open => "Open",
        Status::Closed => "Closed",
        Status::WinnersAnnounced => "Winners announced",
    }
}

fn local(t: DateTime<Utc>, tz: &str) -> String {
    let tz: Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    t.with_timezone(&tz)
        .format("%b %-d, %Y %H:%M %Z")
        .to_string()
}

fn schedule_text(c: &Contest, now: DateTime<Utc>) -> String {
    match (c.effective_status(now), c.opens_at, c.closes_at) {
        (Status::Scheduled, Some(o), _) => format!("Opens {}", local(o, &c.time_zone)),
        (Status::Open, _, Some(cl)) => format!("Open until {}", local(cl, &c.time_zone)),
        (Status::Open, _, None) => "Open now".into(),
        (Status::Closed | Status::WinnersAnnounced, _, Some(cl)) => {
            format!("Closed {}", local(cl, &c.time_zone))
        }
        _ => String::new(),
    }
}

/// Renders a contest page for a fan. The page is the same for every fan but for
/// a few values known without the database (CSRF token, signed_request field,
/// name from the session cookie), so the plain page (no form echo, errors or
/// messages) is rendered once per variant and kept with holes for those values
/// (`super::holes`) beside the shared data it shows (`super::shared`), which
/// makes it stale with that data.
pub async fn render(
    state: &AppState,
    fan: &FanRequest,
    contest: &Contest,
    page: &Page,
    extras: PageExtras,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let now = Utc::now();
    let shared = state.fan_pages.get(state, contest).await?;
    let fan_name = fan.session.as_ref().map(|s| {
        if s.name.is_empty() {
            s.sub.trim_start_matches("email:").to_string()
        } else {
            s.name.clone()
        }
    });
    let csrf = fan.csrf_token(state, &contest.slug);
    let mut resp = HttpResponse::build(status);
    fan.set_cookies(state, &mut resp);
    resp.content_type("text/html; charset=utf-8");
    Ok(
        match PageKey::of(contest, &extras, fan_name.is_some(), status, now) {
            Some(key) => {
                let holed = shared.page(key, || {
                    let extras = PageExtras {
                        values: extras.values.clone(),
                        signed_request: extras
                            .signed_request
                            .as_ref()
                            .map(|_| sentinel(Hole::SignedRequest).to_string()),
                        ..Default::default()
                    };
                    let name = fan_name
                        .as_ref()
                        .map(|_| sentinel(Hole::FanName).to_string());
                    let csrf = sentinel(Hole::Csrf).to_string();
                    contest_page(
                        state,
                        contest,
                        page,
                        extras,
                        shared.clone(),
                        csrf,
                        name,
                        now,
                    )
                })?;
                resp.body(holed.body(|h| match h {
                    Hole::Csrf => csrf.clone(),
                    Hole::SignedRequest => extras.signed_request.clone().unwrap_or_default(),
                    Hole::FanName => fan_name.clone().unwrap_or_default(),
                }))
            }
            None => resp.body(contest_page(
                state, contest, page, extras, shared, csrf, fan_name, now,
            )?),
        },
    )
}

/// Which kept page serves a request, or none when the request carries form
/// echo, errors or messages (rendered each time). Everything else the page
/// shows comes from the contest, its page and the shared data, all of which
/// make the kept pages stale when they change (`crate::db::data_generation`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    updated_at: i64,
    status: Status,
    signed_request: bool,
    logged_in: bool,
    /// The country prefilled from a signed_request (two letters).
    country: Option<[u8; 2]>,
}

impl PageKey {
    fn of(
        contest: &Contest,
        extras: &PageExtras,
        logged_in: bool,
        status: actix_web::http::StatusCode,
        now: DateTime<Utc>,
    ) -> Option<PageKey> {
        let plain = status == actix_web::http::StatusCode::OK
            && extras.errors.is_empty()
            && extras.flashes.is_empty()
            && extras.general.is_empty()
            && extras.text.is_none()
            && extras.values.keys().all(|k| k == "country");
        let country = match extras.values.get("country") {
            None => None,
            Some(c) => match c.as_bytes() {
                &[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some([a, b]),
                _ => return None,
            },
        };
        plain.then(|| PageKey {
            updated_at: contest.updated_at.timestamp_micros(),
            status: contest.effective_status(now),
            signed_request: extras.signed_request.is_some(),
            logged_in,
            country,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn contest_page(
    state: &AppState,
    contest: &Contest,
    page: &Page,
    mut extras: PageExtras,
    shared: std::sync::Arc<super::shared::Shared>,
    csrf: String,
    fan_name: Option<String>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let effective = contest.effective_status(now);
    let schema: FormSchema =
        serde_json::from_value(contest.form_schema.clone()).unwrap_or_default();
    let mut errors = HashMap::new();
    let shown: Vec<String> = entry_form::fields_for_display(&schema)
        .iter()
        .map(|f| f.name.clone())
        .chain([
            "accept_rules".into(),
            "marketing_opt_in".into(),
            "text".into(),
            "image".into(),
        ])
        .collect();
    for e in &extras.errors {
        if shown.contains(&e.field) {
            errors
                .entry(e.field.clone())
                .or_insert_with(|| e.message.clone());
        } else {
            extras.general.push(e.message.clone());
        }
    }
    let mut layout = FanLayout::new(contest.title.clone(), page.name.clone());
    layout.rules_url = Some(format!("/c/{}/rules", contest.slug));
    layout.flashes = extras.flashes;
    for g in extras.general {
        layout.flashes.push(Flash::new(FlashKind::Error, g));
    }
    if !errors.is_empty() {
        layout.flashes.push(Flash::new(
            FlashKind::Error,
            "Please check the highlighted fields below.",
        ));
    }
    let rules_summary: String = contest.rules_text.chars().take(320).collect();
    let page_url = format!("{}/c/{}", state.public_url, contest.slug);
    ContestPage {
        slug: contest.slug.clone(),
        title: contest.title.clone(),
        description: contest.description.clone(),
        prize: contest.prize.clone(),
        rules_truncated: contest.rules_text.chars().count() > 320,
        rules_summary,
        schedule: schedule_text(contest, now),
        status_label: status_label(effective),
        is_open: effective == Status::Open,
        is_ugc: contest.kind() == Kind::Ugc,
        is_comment: contest.kind() == Kind::CommentToEnter,
        voting: contest.kind() == Kind::Ugc && contest.voting_enabled,
        marketing_offered: schema.marketing.is_some(),
        fields: entry_form::fields_for_display(&schema),
        consents: entry_form::consents_for_display(&schema),
        values: extras.values,
        errors,
        text_value: extras.text.unwrap_or_default(),
        signed_request: extras.signed_request,
        csrf,
        login_url: {
            let mut u = url::Url::parse(&format!("{}/auth/fan/login", state.public_url))
                .expect("public URL");
            u.query_pairs_mut()
                .append_pair("page", &page.fb_page_id)
                .append_pair("return_to", &format!("/c/{}", contest.slug));
            format!("{}?{}", u.path(), u.query().unwrap_or(""))
        },
        fan_name,
        page_url,
        max_image_mb: state.settings.uploads.max_bytes / (1024 * 1024),
        shared,
        layout,
    }
    .render()
    .map_err(AppError::internal)
}

/// Hands a fan page view to the view writer (`crate::views`): stored within
/// moments, deduped per visitor (or, with `person`, the app-scoped id of an
/// authorised signed_request, per person), contest and day. Waits only when the
/// writer's buffer is full, and then at most as long as for a pooled connection
/// (503 after that).
pub async fn record_view(
    state: &AppState,
    fan: &FanRequest,
    contest: &Contest,
    details: serde_json::Value,
    person: Option<String>,
) -> Result<(), AppError> {
    state
        .views
        .record(contest, &fan.visitor_id, person, details)
        .await
}

/// Flashes from the redirect after a form (PRG), chosen by query flags only, so
/// nothing user-controlled reaches the message.
fn flashes_from_query(q: &HashMap<String, String>) -> Vec<Flash> {
    let mut f = Vec::new();
    if q.contains_key("entered") {
        f.push(Flash::new(
            FlashKind::Success,
            "Thanks! Your entry is in. You can see its status below.",
        ));
    }
    if q.contains_key("voted") {
        f.push(Flash::new(
            FlashKind::Success,
            "Your vote was counted. Thank you!",
        ));
    }
    if q.contains_key("suggested") {
        f.push(Flash::new(
            FlashKind::Success,
            "Thanks for your prize idea! It will appear once it has been reviewed.",
        ));
    }
    if q.contains_key("poll_voted") {
        f.push(Flash::new(
            FlashKind::Success,
            "Your vote for the prize was counted. Thank you!",
        ));
    }
    if q.contains_key("copy") {
        f.push(Flash::new(
            FlashKind::Info,
            "Select your invite link below and copy it.",
        ));
    }
    if q.contains_key("confirmed") {
        f.push(Flash::new(
            FlashKind::Success,
            "Your email is confirmed. You can vote now.",
        ));
    }
    if q.contains_key("already_voted") {
        f.push(Flash::new(
            FlashKind::Info,
            "You already voted for this entry.",
        ));
    }
    f
}

pub async fn load_public(state: &AppState, slug: String) -> Result<(Contest, Page), AppError> {
    state
        .db
        .run_keeping_fan_caches(move |c| {
            let contest = contests::find_public(c, &slug)
                .map_err(|_| AppError::not_found("no such contest"))?;
            let page = pages::find(c, contest.page_id)?;
            Ok((contest, page))
        })
        .await
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let fan = FanRequest::from(&req);
    let (contest, page) = load_public(&state, slug.into_inner()).await?;
    record_view(&state, &fan, &contest, json!({"via": "link"}), None).await?;
    let extras = PageExtras {
        flashes: flashes_from_query(&q),
        ..Default::default()
    };
    render(
        &state,
        &fan,
        &contest,
        &page,
        extras,
        actix_web::http::StatusCode::OK,
    )
    .await
}

#[derive(Template)]
#[template(path = "fan/rules.html")]
struct RulesPage {
    layout: FanLayout,
    title: String,
    rules: String,
    rules_version: String,
    commitment: Option<String>,
    slug: String,
}

pub async fn rules(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (contest, page) = load_public(&state, slug.into_inner()).await?;
    let commitment = crate::domain::hooks::published_commitment(&state, contest.id).await?;
    let mut layout = FanLayout::new(format!("Official rules: {}", contest.title), page.name);
    layout.rules_url = Some(format!("/c/{}/rules", contest.slug));
    let html = RulesPage {
        layout,
        title: contest.title,
        rules: contest.rules_text,
        rules_version: contest.rules_version,
        commitment,
        slug: contest.slug,
    }
    .render()
    .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

#[derive(Template)]
#[template(path = "fan/privacy.html")]
struct PrivacyPage {
    layout: FanLayout,
}

pub async fn privacy() -> Result<HttpResponse, AppError> {
    let html = PrivacyPage {
        layout: FanLayout::new("Privacy", "Fanfare"),
    }
    .render()
    .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
