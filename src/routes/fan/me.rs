//! `GET|POST /c/{slug}/me`: the fan's own part of the fan page — their entries
//! and its status, their votes, points, rank, prize suggestion and invite link.
//!
//! The fan page itself is the same for every fan (`super::shared`, no database
//! on the request path); it loads this with htmx when it opens (`HX-Request`),
//! and the answer also fills the page's marked slots (`hx-swap-oob`: "You
//! voted" badges, the invite link). Without JavaScript the page's button opens
//! it as a page of its own. The fan is known from their session, an authorised
//! signed_request (posted by the page tab, where third-party cookies may be
//! refused), or the visitor cookie once linked. Read-only: nothing is created
//! or changed, so it needs no CSRF token (and refusing one that a browser
//! without cookies cannot match would blank the page tab).

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::context::FanRequest;
use super::engagement::{self, MyEngagement};
use super::page::load_public;
use crate::db::{contacts, entries, votes};
use crate::domain::contest::{period_key, Limit};
use crate::domain::voting::Voter;
use crate::error::AppError;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;
use crate::ui::layout::FanLayout;

pub struct MyEntry {
    pub id: i64,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub reason: Option<String>,
}

#[derive(Template)]
#[template(path = "fan/me.html")]
pub struct MePart {
    pub slug: String,
    pub csrf: String,
    /// Answering htmx: fill the page's slots too.
    pub oob: bool,
    pub my_entries: Vec<MyEntry>,
    pub voted: Vec<i64>,
    pub mine: MyEngagement,
    pub referral_url: Option<String>,
}

impl MePart {
    fn is_empty(&self) -> bool {
        self.my_entries.is_empty()
            && self.voted.is_empty()
            && self.mine.my_points.is_none()
            && self.mine.rank.is_none()
            && self.mine.poll_voted.is_empty()
            && self.mine.poll_mine.is_none()
            && self.referral_url.is_none()
    }
}

#[derive(Template)]
#[template(path = "fan/me_page.html")]
struct MePage {
    layout: FanLayout,
    slug: String,
    body: String,
}

fn label(status: &str) -> (&'static str, &'static str) {
    match status {
        "approved" => ("Approved: it is in the gallery", "badge-approved"),
        "rejected" => ("Not accepted", "badge-rejected"),
        "disqualified" => ("Disqualified", "badge-rejected"),
        _ => ("Received: waiting for review", "badge-pending"),
    }
}

async fn answer(
    req: HttpRequest,
    state: &AppState,
    slug: String,
    signed_asid: Option<String>,
) -> Result<HttpResponse, AppError> {
    let fan = FanRequest::from(&req);
    let (contest, page) = load_public(state, slug).await?;
    let shared = state.fan_pages.get(state, &contest).await?;
    let gallery_ids: Vec<i64> = shared.gallery.iter().map(|g| g.id).collect();
    let now = Utc::now();
    let asid = fan.asid().or(signed_asid);
    let email = match fan.voter() {
        Some(Voter::Email { email }) => Some(email),
        _ => None,
    };
    let visitor = fan.visitor_id.clone();
    let c = contest.clone();
    let found = state
        .db
        .run_keeping_fan_caches(move |conn| {
            let me = match (&asid, &email) {
                (Some(a), _) => contacts::by_identity(conn, c.page_id, "asid", a)?,
                (None, Some(e)) => contacts::by_identity(conn, c.page_id, "email", e)?,
                _ => None,
            }
            .or(crate::db::visitors::contact_of(conn, &visitor)?);
            let Some(me) = me else { return Ok(None) };
            let limit = Limit::parse(&c.vote_limit).unwrap_or(Limit::Once);
            let voted = votes::voted_by(
                conn,
                me,
                &gallery_ids,
                &period_key(limit, &c.time_zone, now),
            )?;
            let mine = entries::of_contact(conn, c.id, me)?;
            let engagement = engagement::load_mine(conn, &c, me, now)?;
            Ok(Some((voted, mine, engagement)))
        })
        .await?;
    let (voted, mine, engagement) = found.unwrap_or_default();
    let oob = req.headers().contains_key("hx-request");
    let part = MePart {
        csrf: fan.csrf_token(state, &contest.slug),
        oob,
        my_entries: mine
            .into_iter()
            .map(|e| {
                let (status_label, status_class) = label(&e.status);
                MyEntry {
                    id: e.id,
                    status_label,
                    status_class,
                    reason: e.status_reason,
                }
            })
            .collect(),
        voted,
        referral_url: engagement
            .referral_code
            .as_ref()
            .map(|code| format!("{}/r/{code}", state.public_url)),
        mine: engagement,
        slug: contest.slug.clone(),
    };
    let body = part.render().map_err(AppError::internal)?;
    let html = if oob {
        body
    } else {
        let mut layout = FanLayout::new(format!("Your part: {}", contest.title), page.name.clone());
        layout.rules_url = Some(format!("/c/{}/rules", contest.slug));
        MePage {
            layout,
            slug: contest.slug,
            body,
        }
        .render()
        .map_err(AppError::internal)?
    };
    let mut resp = HttpResponse::Ok();
    fan.set_cookies(state, &mut resp);
    Ok(resp
        .content_type("text/html; charset=utf-8")
        // Personal: never cached by anything in between.
        .insert_header(("Cache-Control", "private, no-store"))
        .body(html))
}

#[utoipa::path(
    get,
    path = "/c/{slug}/me",
    operation_id = "fan_me",
    tag = "fan",
    description = "The fan's own part of the fan page (entries, votes, points, invite link), known from the session or visitor cookie. HTML: a fragment for htmx (`HX-Request`), else a page.",
    params(("slug" = String, Path, description = "The contest's public slug")),
    responses(
        (status = 200, description = "The fan's part (HTML)", content_type = "text/html"),
        (status = 404, description = "No such contest", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    )
)]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    answer(req, &state, slug.into_inner(), None).await
}

#[utoipa::path(
    post,
    path = "/c/{slug}/me",
    operation_id = "fan_me_signed",
    tag = "fan",
    description = "Like `GET /c/{slug}/me`, from the page tab: an authorised `signed_request` form field names the fan. An invalid or expired one is ignored (the cookies still count).",
    params(("slug" = String, Path, description = "The contest's public slug")),
    responses(
        (status = 200, description = "The fan's part (HTML)", content_type = "text/html"),
        (status = 404, description = "No such contest", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    )
)]
pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    // Only a valid signature names anyone; otherwise the request is as anonymous
    // as a GET.
    let asid = crate::routes::facebook_callbacks::verified_signed_request(&state, &form)
        .ok()
        .and_then(|sr| sr.app_scoped_user_id().map(str::to_string));
    answer(req, &state, slug.into_inner(), asid).await
}
