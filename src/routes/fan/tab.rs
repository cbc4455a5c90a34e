//! `POST /tab` (signed_request from a page tab or canvas) and `GET /tab?page_id=`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde_json::json;

use super::context::FanRequest;
use super::page::{record_view, render, PageExtras};
use crate::db::{contests, pages};
use crate::domain::entry_form::Prefill;
use crate::error::AppError;
use crate::platform::facebook::signed_request::SignedRequest;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;
use crate::ui::layout::FanLayout;

#[derive(Template)]
#[template(path = "fan/no_contest.html")]
struct NoContest {
    layout: FanLayout,
}

async fn for_page(
    req: &HttpRequest,
    state: &AppState,
    fb_page_id: String,
    signed: Option<(SignedRequest, String)>,
) -> Result<HttpResponse, AppError> {
    let fan = FanRequest::from(req);
    let now = Utc::now();
    let found = match state.page_contests.current(&fb_page_id, now) {
        Some(hit) => Some(hit),
        None => {
            let cache = state.page_contests.clone();
            let generation = contests::generation();
            state
                .db
                .run_keeping_fan_caches(move |c| {
                    let Some(page) = pages::find_by_fb_id(c, &fb_page_id)? else {
                        return Ok(None);
                    };
                    let candidates = contests::candidates_for_page(c, page.id)?;
                    let page = std::sync::Arc::new(page);
                    let candidates: Vec<_> =
                        candidates.into_iter().map(std::sync::Arc::new).collect();
                    cache.put(&fb_page_id, generation, page.clone(), candidates.clone());
                    Ok(Some((page, contests::pick_current(candidates, now))))
                })
                .await?
        }
    };
    let Some((page, contest)) = found else {
        return Err(AppError::not_found("this page does not run Fanfare"));
    };
    let Some(contest) = contest else {
        let html = NoContest {
            layout: FanLayout::new("No contest right now", page.name.clone()),
        }
        .render()
        .map_err(AppError::internal)?;
        let mut resp = HttpResponse::Ok();
        fan.set_cookies(state, &mut resp);
        return Ok(resp.content_type("text/html; charset=utf-8").body(html));
    };
    let mut extras = PageExtras::default();
    let mut details = json!({"via": if signed.is_some() { "tab" } else { "link" }});
    let mut person = None;
    if let Some((sr, raw)) = signed {
        // `page.liked` is a signal to record, never a gate (like-gating is banned).
        if let Some(liked) = sr.page.as_ref().and_then(|p| p.liked) {
            details["liked"] = json!(liked);
        }
        if let Some(user) = &sr.user {
            if let Some(country) = &user.country {
                extras
                    .values
                    .insert("country".into(), country.to_uppercase());
            }
        }
        // An authorised signed_request names the person: the view links their visit.
        person = sr.app_scoped_user_id().map(str::to_string);
        extras.signed_request = Some(raw);
    }
    record_view(state, &fan, &contest, details, person).await?;
    render(state, &fan, &contest, &page, extras, StatusCode::OK).await
}

/// What a signed_request tells the form, for prefill on submit.
pub fn prefill_from(sr: &SignedRequest) -> Prefill {
    let user = sr.user.clone().unwrap_or_default();
    Prefill {
        name: None,
        email: None,
        country: user.country.map(|c| c.to_uppercase()),
        age_min: user.age.and_then(|a| a.min),
    }
}

#[utoipa::path(
    post,
    path = "/tab",
    operation_id = "fan_tab_signed",
    tag = "fan",
    description = "The page tab as Facebook opens it: a form with a `signed_request` naming the page. Answers the fan page (HTML); refusals are JSON errors.",
    responses(
        (status = 200, description = "The fan page of the page's current contest (HTML)", content_type = "text/html"),
        (status = 400, description = "Missing, malformed or badly signed signed_request, or one that names no page", body = ErrorResponse),
        (status = 404, description = "The page does not run Fanfare", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    )
)]
pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let sr = crate::routes::facebook_callbacks::verified_signed_request(&state, &form)?;
    let raw = form.get("signed_request").cloned().unwrap_or_default();
    let page_id = sr.page.as_ref().and_then(|p| p.id.clone()).ok_or_else(|| {
        AppError::bad_request("not_a_page_tab", "the signed_request names no page")
    })?;
    for_page(&req, &state, page_id, Some((sr, raw))).await
}

#[utoipa::path(
    get,
    path = "/tab",
    operation_id = "fan_tab",
    tag = "fan",
    description = "The fan page of a page's current contest, for links from the page. Answers HTML; refusals are JSON errors.",
    params(("page_id" = String, Query, description = "The Facebook id of the page")),
    responses(
        (status = 200, description = "The fan page (HTML)", content_type = "text/html"),
        (status = 400, description = "page_id is missing", body = ErrorResponse),
        (status = 404, description = "The page does not run Fanfare", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    )
)]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let page_id = q
        .get("page_id")
        .filter(|p| !p.is_empty() && p.len() < 64)
        .cloned()
        .ok_or_else(|| AppError::bad_request("missing_field", "page_id is required"))?;
    for_page(&req, &state, page_id, None).await
}
