//! The admin dashboard under `/dashboard`: server-rendered HTML (askama) that
//! works without JavaScript. One file per resource; every handler goes through
//! the same domain functions as the JSON API.
//!
//! - **Sessions**: [`Ctx`] is the extractor of every signed-in page. Without a
//!   session it answers with a redirect to `/dashboard` (the sign-in page).
//! - **Tenancy**: everything is loaded through the db functions that take the
//!   admin id; another tenant's id is a 404, as in the API.
//! - **Current page**: the `fanfare_page` cookie, set by `/dashboard/switch-page`
//!   and checked against the admin's own pages on every request.
//! - **Forms**: every state-changing form carries `csrf_token` (checked with
//!   `routes::csrf::check`) and answers with a 303 to a page that shows the
//!   outcome as a flash (PRG, see [`flash`]).
//! - **Errors** render as an HTML page with the status kept ([`DashError`]).

pub mod contacts;
pub mod contest_form;
pub mod contests;
pub mod entries_export;
pub mod exports;
pub mod flash;
pub mod home;
pub mod insights;
pub mod moderation;
pub mod overview;
pub mod pages;
pub mod polls;
pub mod segments;
pub mod votes;
pub mod webhooks;
pub mod winners;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::auth::admin::{AdminAuth, MaybeAdmin};
use crate::db::admins::{self, Admin};
use crate::db::pages::Page;
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Flash, FlashKind, PageChoice, Section};

/// The cookie holding the Fanfare id of the page the admin is working on.
pub const PAGE_COOKIE: &str = "fanfare_page";

pub fn configure(cfg: &mut web::ServiceConfig) {
    home::configure(cfg);
    exports::configure(cfg);
    contacts::configure(cfg);
    insights::configure(cfg);
    segments::configure(cfg);
    pages::configure(cfg);
    polls::configure(cfg);
    contests::configure(cfg);
    contest_form::configure(cfg);
    entries_export::configure(cfg);
    moderation::configure(cfg);
    votes::configure(cfg);
    webhooks::configure(cfg);
    winners::configure(cfg);
}

/// An error on a dashboard page: an HTML page (not the API's JSON), same status.
#[derive(Debug)]
pub enum DashError {
    /// Nobody is signed in: go to the sign-in page.
    SignIn,
    App(AppError),
}

impl From<AppError> for DashError {
    fn from(e: AppError) -> Self {
        DashError::App(e)
    }
}

impl From<diesel::result::Error> for DashError {
    fn from(e: diesel::result::Error) -> Self {
        DashError::App(e.into())
    }
}

impl std::fmt::Display for DashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DashError::SignIn => write!(f, "sign in to continue"),
            DashError::App(e) => write!(f, "{e}"),
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage {
    layout: DashboardLayout,
    status: u16,
    heading: &'static str,
    message: String,
}

impl ResponseError for DashError {
    fn status_code(&self) -> StatusCode {
        match self {
            DashError::SignIn => StatusCode::SEE_OTHER,
            DashError::App(e) => e.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let e = match self {
            DashError::SignIn => {
                return HttpResponse::SeeOther()
                    .insert_header((LOCATION, "/dashboard"))
                    .finish()
            }
            DashError::App(e) => e,
        };
        // The API rendering logs the cause (5xx with its chain); its body is dropped.
        let _ = e.error_response();
        let status = e.status();
        let (heading, message) = match status.as_u16() {
            404 => (
                "Not found",
                "There is nothing here, or it belongs to a page you do not manage.".to_string(),
            ),
            403 => ("Not allowed", e.message().to_string()),
            s if s >= 500 => (
                "Something went wrong",
                "Fanfare could not finish this request. Please try again in a moment.".to_string(),
            ),
            _ => ("That did not work", e.message().to_string()),
        };
        let page = ErrorPage {
            layout: DashboardLayout::new(heading),
            status: status.as_u16(),
            heading,
            message,
        };
        let body = page.render().unwrap_or_else(|_| heading.to_string());
        let mut resp = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.insert_header(("Retry-After", "5"));
        }
        resp.insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(body)
    }
}

pub type DashResult = Result<HttpResponse, DashError>;

/// What every signed-in dashboard page knows: who, which pages, which is current,
/// the CSRF token for its forms, and the flashes left by the previous action.
pub struct Ctx {
    pub auth: AdminAuth,
    pub admin: Admin,
    pub pages: Vec<Page>,
    /// The page being worked on; `None` only when the admin manages no page.
    pub page: Option<Page>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    had_flash_cookie: bool,
}

impl FromRequest for Ctx {
    type Error = DashError;
    type Future = Pin<Box<dyn Future<Output = Result<Ctx, DashError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let maybe = MaybeAdmin::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let MaybeAdmin(auth) = maybe.await?;
            let auth = auth.ok_or(DashError::SignIn)?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?
                .clone();
            let id = auth.admin_id;
            let wanted = req
                .cookie(PAGE_COOKIE)
                .and_then(|c| c.value().parse::<i64>().ok());
            let (admin, pages, latest) = state
                .db
                .run(move |c| {
                    let pages = crate::db::pages::for_admin(c, id)?;
                    // Without a (valid) choice: the page of the newest contest.
                    let latest = if wanted.is_some_and(|w| pages.iter().any(|p| p.id == w)) {
                        None
                    } else {
                        crate::db::contests::latest_page_for_admin(c, id)?
                    };
                    Ok((admins::find(c, id)?, pages, latest))
                })
                .await?;
            let page = wanted
                .or(latest)
                .and_then(|w| pages.iter().find(|p| p.id == w))
                .or_else(|| pages.first())
                .cloned();
            let (flashes, had_flash_cookie) = flash::take(&req, &state);
            Ok(Ctx {
                csrf: crate::routes::csrf::token_for_admin(&state, &auth),
                auth,
                admin,
                pages,
                page,
                flashes,
                had_flash_cookie,
            })
        })
    }
}

impl Ctx {
    pub fn admin_id(&self) -> i64 {
        self.auth.admin_id
    }

    /// The layout for a page of `section`.
    pub fn layout(&self, title: impl Into<String>, section: Section) -> DashboardLayout {
        let mut l = DashboardLayout::new(title);
        l.active = Some(section);
        l.admin_name = Some(self.admin.name.clone());
        l.pages = self
            .pages
            .iter()
            .map(|p| PageChoice {
                id: p.id.to_string(),
                name: p.name.clone(),
            })
            .collect();
        l.current_page_id = self.page.as_ref().map(|p| p.id.to_string());
        l.flashes = self.flashes.clone();
        l.csrf_token = Some(self.csrf.clone());
        l
    }

    /// The current page, or a clear error when the admin manages none.
    pub fn current_page(&self) -> Result<&Page, DashError> {
        self.page.as_ref().ok_or_else(|| {
            AppError::conflict(
                "no_pages",
                "Your Facebook account manages no page that Fanfare can use. Sign in again after getting a page role.",
            )
            .into()
        })
    }

    /// Checks the form's CSRF token; every state-changing handler calls this first.
    pub fn check_csrf(
        &self,
        req: &HttpRequest,
        state: &AppState,
        form: &FormData,
    ) -> Result<(), DashError> {
        crate::routes::csrf::check(req, state, &self.auth, form.get("csrf_token"))?;
        Ok(())
    }

    /// A rendered page; clears the flash cookie it consumed.
    pub fn render(&self, page: &impl Template) -> DashResult {
        self.render_status(StatusCode::OK, page)
    }

    pub fn render_status(&self, status: StatusCode, page: &impl Template) -> DashResult {
        let body = page.render().map_err(AppError::internal)?;
        let mut resp = HttpResponse::build(status);
        resp.insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header(("cache-control", "no-store"));
        if self.had_flash_cookie {
            resp.cookie(flash::removal());
        }
        Ok(resp.body(body))
    }
}

/// A 303 to `location` carrying flashes for the next page.
pub fn see_other(state: &AppState, location: &str, flashes: &[Flash]) -> HttpResponse {
    let mut resp = HttpResponse::SeeOther();
    resp.insert_header((LOCATION, location.to_string()));
    if !flashes.is_empty() {
        resp.cookie(flash::cookie(state, flashes));
    }
    resp.finish()
}

/// The outcome of an action as a flash: the success message, or the error's own
/// message (domain errors are written for people and never hold secrets). Server
/// errors still fail the request (logged, error page).
pub fn outcome<T>(
    result: Result<T, AppError>,
    success: impl FnOnce(&T) -> String,
) -> Result<Flash, DashError> {
    match result {
        Ok(v) => Ok(Flash::new(FlashKind::Success, success(&v))),
        Err(e) if e.status().is_client_error() => Ok(Flash::new(FlashKind::Error, explain(&e))),
        Err(e) => Err(e.into()),
    }
}

/// Another tenant's item is a 404 page, never a flash on our own page.
pub fn not_found_stays<T>(result: &Result<T, AppError>) -> Result<(), DashError> {
    if let Err(e) = result {
        if e.status() == actix_web::http::StatusCode::NOT_FOUND {
            return Err(AppError::not_found("not found").into());
        }
    }
    Ok(())
}

/// A person-readable message for a refused action, with the form-schema issues
/// spelled out when there are any.
pub fn explain(e: &AppError) -> String {
    if e.status() == StatusCode::NOT_FOUND {
        return "That item no longer exists, or belongs to a page you do not manage.".into();
    }
    let plain = match e.code() {
        "invalid_schedule" => Some("the contest must open before it closes."),
        "rules_required" => {
            Some("add the official rules before scheduling or opening the contest.")
        }
        "closes_in_past" => Some("the closing time is in the past; move it first."),
        "post_required" => {
            Some("a comment-to-enter contest needs its linked post before it opens.")
        }
        _ => None,
    };
    let mut msg = capitalize(&match plain {
        Some(p) => p.to_string(),
        None => humanize_fields(e.message()),
    });
    if let Some(issues) = e
        .details()
        .and_then(|d| d.get("issues"))
        .and_then(|i| i.as_array())
    {
        let list: Vec<String> = issues
            .iter()
            .filter_map(|i| {
                Some(format!(
                    "{}: {}",
                    i.get("path")?.as_str()?,
                    i.get("message")?.as_str()?
                ))
            })
            .collect();
        if !list.is_empty() {
            msg = format!("{msg}: {}", list.join("; "));
        }
    }
    if !msg.ends_with(['.', '!', '?']) {
        msg.push('.');
    }
    msg
}

/// Field names in domain messages, as the dashboard's labels call them.
fn humanize_fields(message: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("rules_text", "the rules text"),
        ("opens_at", "the opening time"),
        ("closes_at", "the closing time"),
        ("min_age", "the minimum age"),
        ("linked_post_id", "the linked post"),
        ("entry_limit", "entries per person"),
        ("vote_limit", "votes per fan"),
    ];
    let mut m = message.to_string();
    for (name, label) in NAMES {
        m = m.replace(name, label);
    }
    m
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Largest dashboard form body, in bytes.
pub const FORM_LIMIT_BYTES: usize = 1024 * 1024;

/// An urlencoded form body as ordered pairs, so repeated names (checkboxes,
/// multi-selects) keep every value.
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// A trimmed value, `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), Some("on" | "true" | "1"))
    }
}

impl FromRequest for FormData {
    type Error = DashError;
    type Future = Pin<Box<dyn Future<Output = Result<FormData, DashError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Larger than the app-wide form limit: official rules may be 50,000
        // characters, and urlencoding can triple their size.
        let fut = actix_web::dev::UrlEncoded::<Vec<(String, String)>>::new(req, payload)
            .limit(FORM_LIMIT_BYTES);
        Box::pin(async move {
            match fut.await {
                Ok(pairs) => Ok(FormData(pairs)),
                Err(actix_web::error::UrlencodedError::Overflow { .. }) => {
                    Err(AppError::too_large("the form is too large").into())
                }
                Err(e) => Err(AppError::bad_request("malformed_form", e.to_string()).into()),
            }
        })
    }
}

/// Dates as the dashboard shows them when no contest time zone applies.
pub fn format_utc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%b %-d, %Y %H:%M UTC").to_string()
}
