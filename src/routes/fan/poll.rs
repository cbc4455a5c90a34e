//! The prize poll on the fan page: `POST /c/{slug}/poll/suggest` (title, value,
//! optional url) and `POST /c/{slug}/poll/vote/{suggestion_id}`. Both need a fan
//! session and a CSRF token, are rate limited per IP like entering and voting,
//! and answer HTML (redirect with a message) or JSON. Rules: `domain::prize_poll`.

use std::collections::HashMap;

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;

use super::context::FanRequest;
use super::page::load_public;
use crate::db::{polls, rate_limits};
use crate::domain::prize_poll::{self, PollVote, SuggestionInput};
use crate::domain::voting::{VoteOutcome, Voter};
use crate::error::AppError;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/c/{slug}/poll/suggest",
    operation_id = "fan_poll_suggest",
    tag = "fan",
    description = "A prize suggestion in an open prize poll (`value`, `csrf_token` in the form).",
    params(("slug" = String, Path, description = "The contest's fan-page slug"), ("Accept" = Option<String>, Header, description = "`application/json` for a JSON answer; otherwise HTML")),
    responses(
        (status = 201, description = "The suggestion, waiting for moderation", body = crate::routes::fan::docs::SuggestionCreated),
        (status = 401, description = "Log in to suggest", body = ErrorResponse),
        (status = 403, description = "Missing or stale csrf_token", body = ErrorResponse),
        (status = 404, description = "No open prize poll", body = ErrorResponse),
        (status = 409, description = "Already suggested", body = ErrorResponse),
        (status = 422, description = "Invalid suggestion", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("fan_session" = []))
)]
pub async fn suggest(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let fan = FanRequest::from(&req);
    let slug = slug.into_inner();
    match suggest_inner(&state, &fan, slug.clone(), &form).await {
        Ok(r) => r,
        Err(e) => {
            let login = login_url(&state, &slug).await;
            super::error::respond(fan.wants_json, e, &slug, login)
        }
    }
}

#[utoipa::path(
    post,
    path = "/c/{slug}/poll/vote/{suggestion_id}",
    operation_id = "fan_poll_vote",
    tag = "fan",
    description = "A vote for an approved prize suggestion (`csrf_token` in the form).",
    params(("slug" = String, Path, description = "The contest's fan-page slug"), ("suggestion_id" = i64, Path, description = "The suggestion"), ("Accept" = Option<String>, Header, description = "`application/json` for a JSON answer; otherwise HTML")),
    responses(
        (status = 200, description = "Counted, or already voted", body = crate::routes::fan::docs::VoteAnswer),
        (status = 401, description = "Log in to vote", body = ErrorResponse),
        (status = 403, description = "Missing or stale csrf_token", body = ErrorResponse),
        (status = 404, description = "No such suggestion in an open poll", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("fan_session" = []))
)]
pub async fn vote(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let fan = FanRequest::from(&req);
    let (slug, id) = path.into_inner();
    match vote_inner(&state, &fan, slug.clone(), id, &form).await {
        Ok(r) => r,
        Err(e) => {
            let login = login_url(&state, &slug).await;
            super::error::respond(fan.wants_json, e, &slug, login)
        }
    }
}

async fn login_url(state: &AppState, slug: &str) -> Option<String> {
    let (_, page) = load_public(state, slug.to_string()).await.ok()?;
    Some(format!(
        "/auth/fan/login?page={}&return_to=/c/{slug}",
        page.fb_page_id
    ))
}

/// CSRF, a fan session and the per-IP limit, in that order.
async fn admit(
    state: &AppState,
    fan: &FanRequest,
    slug: &str,
    form: &HashMap<String, String>,
    limit_key: &str,
    max: i32,
) -> Result<Voter, AppError> {
    if !fan.csrf_ok(state, slug, form.get("csrf_token").map(String::as_str)) {
        return Err(AppError::forbidden(
            "csrf",
            "this form has expired or did not come from this page; reload it and try again",
        ));
    }
    let voter = fan.voter().ok_or_else(|| {
        AppError::unauthorized(
            "login_required",
            "log in with Facebook to take part in the prize poll, so each person counts once",
        )
    })?;
    if let Some(ip) = fan.ip.clone() {
        let key = format!("{limit_key}:{ip}");
        let allowed = state
            .db
            .run(move |c| Ok(rate_limits::hit(c, &key, 600, max)?))
            .await?;
        if !allowed {
            return Err(AppError::rate_limited(
                "too many requests from this network; try again in a few minutes",
            ));
        }
    }
    Ok(voter)
}

async fn suggest_inner(
    state: &web::Data<AppState>,
    fan: &FanRequest,
    slug: String,
    form: &HashMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let max = state.settings.limits.entries_per_ip_per_10m;
    let voter = admit(state, fan, &slug, form, "suggest", max).await?;
    let (contest, _) = load_public(state, slug.clone()).await?;
    let input = SuggestionInput {
        title: form.get("title").cloned().unwrap_or_default(),
        value: json!(form.get("value").cloned().unwrap_or_default()),
        url: form.get("url").cloned(),
    };
    let s = state
        .db
        .transaction(move |c| {
            let poll = polls::for_contest(c, contest.id)?
                .ok_or_else(|| AppError::not_found("this contest has no prize poll"))?;
            prize_poll::suggest(c, &contest, &poll, &voter, &input, Utc::now())
        })
        .await?;
    if fan.wants_json {
        return Ok(HttpResponse::Created().json(json!({"suggestion": s})));
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, format!("/c/{slug}?suggested=1#poll")))
        .finish())
}

async fn vote_inner(
    state: &web::Data<AppState>,
    fan: &FanRequest,
    slug: String,
    suggestion_id: i64,
    form: &HashMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let max = state.settings.limits.votes_per_ip_per_10m;
    let voter = admit(state, fan, &slug, form, "vote", max).await?;
    let (contest, _) = load_public(state, slug.clone()).await?;
    let (ip, ua) = (fan.ip.clone(), fan.user_agent_hash());
    let outcome = state
        .db
        .transaction(move |c| {
            let poll = polls::for_contest(c, contest.id)?
                .ok_or_else(|| AppError::not_found("this contest has no prize poll"))?;
            prize_poll::vote(
                c,
                PollVote {
                    contest: &contest,
                    poll: &poll,
                    suggestion_id,
                    voter: &voter,
                    ip: ip.as_deref(),
                    user_agent_hash: ua.as_deref(),
                    now: Utc::now(),
                },
            )
        })
        .await?;
    if fan.wants_json {
        return Ok(HttpResponse::Ok().json(match outcome {
            VoteOutcome::Counted(id) => json!({"status": "counted", "poll_vote_id": id}),
            VoteOutcome::AlreadyVoted => json!({"status": "already_voted"}),
        }));
    }
    let flag = match outcome {
        VoteOutcome::Counted(_) => "poll_voted",
        VoteOutcome::AlreadyVoted => "already_voted",
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((
            LOCATION,
            format!("/c/{slug}?{flag}=1#suggestion-{suggestion_id}"),
        ))
        .finish())
}
