//! Rendering the fan page of a contest (`GET /c/{slug}`, and the tab routes), the
//! full official rules, and the privacy note.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;

use super::context::FanRequest;
use crate::db::activities::{self, NewActivity};
use crate::db::contests::{self, Contest};
use crate::db::entries::{self, EntryView};
use crate::db::pages::{self, Page};
use crate::domain::contest::{period_key, Kind, Limit, Status};
use crate::domain::entry_form::{self, DisplayConsent, DisplayField, FieldError, FormSchema};
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{FanLayout, Flash, FlashKind};

pub struct GalleryItem {
    pub id: i64,
    pub text: Option<String>,
    pub image_url: Option<String>,
    pub author: String,
    pub votes: i64,
    pub voted: bool,
}

pub struct MyEntry {
    pub id: i64,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub reason: Option<String>,
}

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
    pub gallery: Vec<GalleryItem>,
    pub my_entries: Vec<MyEntry>,
    pub page_url: String,
    pub referral_url: Option<String>,
    pub max_image_mb: usize,
    /// Points, leaderboard, prize poll and winners (`super::engagement`).
    pub engagement: super::engagement::Engagement,
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

/// Loads and renders a contest page for a fan.
pub async fn render(
    state: &AppState,
    fan: &FanRequest,
    contest: Contest,
    page: Page,
    mut extras: PageExtras,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let now = Utc::now();
    let effective = contest.effective_status(now);
    let contest_id = contest.id;
    let voter = fan.voter();
    let visitor = fan.visitor_id.clone();
    let vote_limit = Limit::parse(&contest.vote_limit).unwrap_or(Limit::Once);
    let vote_period = period_key(vote_limit, &contest.time_zone, now);
    let page_id = contest.page_id;
    let asid = fan.asid();
    let c_for_engagement = contest.clone();
    let (gallery, voted, mine, engagement) = state
        .db
        .run(move |c| {
            let gallery: Vec<EntryView> = entries::gallery(c, contest_id, 60)?;
            // Who is this fan on this page, without creating anyone?
            let me = match &asid {
                Some(a) => crate::db::contacts::by_identity(c, page_id, "asid", a)?,
                None => match &voter {
                    Some(crate::domain::voting::Voter::Email { email }) => {
                        crate::db::contacts::by_identity(c, page_id, "email", email)?
                    }
                    _ => None,
                },
            }
            .or(crate::db::visitors::contact_of(c, &visitor)?);
            let (voted, mine) = match me {
                Some(contact) => {
                    let ids: Vec<i64> = gallery.iter().map(|g| g.entry.id).collect();
                    (
                        crate::db::votes::voted_by(c, contact, &ids, &vote_period)?,
                        entries::of_contact(c, contest_id, contact)?,
                    )
                }
                None => (vec![], vec![]),
            };
            let engagement = super::engagement::load(c, &c_for_engagement, me, now)?;
            Ok((gallery, voted, mine, engagement))
        })
        .await?;
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
    let html = ContestPage {
        slug: contest.slug.clone(),
        title: contest.title.clone(),
        description: contest.description.clone(),
        prize: contest.prize.clone(),
        rules_truncated: contest.rules_text.chars().count() > 320,
        rules_summary,
        schedule: schedule_text(&contest, now),
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
        csrf: fan.csrf_token(state, &contest.slug),
        login_url: {
            let mut u = url::Url::parse(&format!("{}/auth/fan/login", state.public_url))
                .expect("public URL");
            u.query_pairs_mut()
                .append_pair("page", &page.fb_page_id)
                .append_pair("return_to", &format!("/c/{}", contest.slug));
            format!("{}?{}", u.path(), u.query().unwrap_or(""))
        },
        fan_name: fan.session.as_ref().map(|s| {
            if s.name.is_empty() {
                s.sub.trim_start_matches("email:").to_string()
            } else {
                s.name.clone()
            }
        }),
        gallery: gallery
            .into_iter()
            .map(|g| GalleryItem {
                id: g.entry.id,
                voted: voted.contains(&g.entry.id),
                text: g.entry.text,
                image_url: g
                    .entry
                    .image_name
                    .as_deref()
                    .map(|n| format!("/uploads/{n}")),
                author: g.author.unwrap_or_else(|| "A fan".into()),
                votes: g.votes,
            })
            .collect(),
        my_entries: mine
            .into_iter()
            .map(|e| {
                let (label, class) = match e.status.as_str() {
                    "approved" => ("Approved: it is in the gallery", "badge-approved"),
                    "rejected" => ("Not accepted", "badge-rejected"),
                    "disqualified" => ("Disqualified", "badge-rejected"),
                    _ => ("Received: waiting for review", "badge-pending"),
                };
                MyEntry {
                    id: e.id,
                    status_label: label,
                    status_class: class,
                    reason: e.status_reason,
                }
            })
            .collect(),
        page_url,
        referral_url: engagement
            .referral_code
            .as_ref()
            .map(|code| format!("{}/r/{code}", state.public_url)),
        max_image_mb: state.settings.uploads.max_bytes / (1024 * 1024),
        engagement,
        layout,
    }
    .render()
    .map_err(AppError::internal)?;
    let mut resp = HttpResponse::build(status);
    fan.set_cookies(state, &mut resp);
    Ok(resp.content_type("text/html; charset=utf-8").body(html))
}

/// Records a fan page view once per visitor, contest and day. With `person` (the
/// app-scoped id of an authorised signed_request), the visitor is first linked to
/// that person's contact, in the same transaction: a first visit costs one commit.
pub async fn record_view(
    state: &AppState,
    fan: &FanRequest,
    contest: &Contest,
    details: serde_json::Value,
    person: Option<String>,
) -> Result<(), AppError> {
    let (page_id, contest_id, visitor) = (contest.page_id, contest.id, fan.visitor_id.clone());
    let day = Utc::now().format("%Y-%m-%d").to_string();
    let contest = contest.clone();
    state
        .db
        .transaction(move |c| {
            if let Some(asid) = person {
                let r = crate::db::contacts::resolve(
                    c,
                    &crate::db::contacts::Observation {
                        page_id,
                        asid: Some(asid),
                        source: "fan_page",
                        ..Default::default()
                    },
                )?;
                crate::db::visitors::link(c, &visitor, page_id, r.contact_id)?;
            }
            crate::db::visitors::touch(c, &visitor, page_id)?;
            let contact = crate::db::visitors::contact_of(c, &visitor)?;
            activities::record(
                c,
                &NewActivity {
                    page_id,
                    contact_id: contact,
                    visitor_id: Some(&visitor),
                    contest_id: Some(contest_id),
                    kind: "page_view",
                    occurred_at: Utc::now(),
                    details,
                    dedupe_key: Some(format!("view:{contest_id}:{visitor}:{day}")),
                },
            )?;
            if let Some(k) = contact {
                crate::domain::hooks::after_view(c, &contest, k, Utc::now())?;
            }
            Ok(())
        })
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
        .run(move |c| {
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
        contest,
        page,
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
