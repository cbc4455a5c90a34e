//! `POST /c/{slug}/vote/{entry_id}`: a vote from the fan session, rate limited per
//! IP (a Postgres counter, so it holds across processes).

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;

use super::context::FanRequest;
use super::page::load_public;
use crate::db::rate_limits;
use crate::domain::voting::{self, VoteOutcome, VoteRequest};
use crate::error::AppError;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/c/{slug}/vote/{entry_id}",
    operation_id = "fan_vote",
    tag = "fan",
    description = "A vote for an approved entry, by a logged-in fan; the form carries `csrf_token`.",
    params(("slug" = String, Path, description = "The contest's fan-page slug"), ("entry_id" = i64, Path, description = "The entry"), ("Accept" = Option<String>, Header, description = "`application/json` for a JSON answer; otherwise HTML")),
    responses(
        (status = 200, description = "Counted, or already voted", body = crate::routes::fan::docs::VoteAnswer),
        (status = 401, description = "Log in with Facebook (or confirm an email) to vote", body = ErrorResponse),
        (status = 403, description = "Missing or stale csrf_token", body = ErrorResponse),
        (status = 404, description = "No such entry in this contest", body = ErrorResponse),
        (status = 409, description = "Voting is not open", body = ErrorResponse),
        (status = 429, description = "Too many votes; retry later", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("fan_session" = []))
)]
pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let fan = FanRequest::from(&req);
    let (slug, entry_id) = path.into_inner();
    match vote(&state, &fan, slug.clone(), entry_id, &form).await {
        Ok(r) => r,
        Err(e) => {
            let login = format!(
                "/auth/fan/login?page={}&return_to=/c/{slug}",
                page_of(&state, &slug).await.unwrap_or_default()
            );
            super::error::respond(fan.wants_json, e, &slug, Some(login))
        }
    }
}

async fn page_of(state: &AppState, slug: &str) -> Option<String> {
    load_public(state, slug.to_string())
        .await
        .ok()
        .map(|(_, p)| p.fb_page_id)
}

async fn vote(
    state: &web::Data<AppState>,
    fan: &FanRequest,
    slug: String,
    entry_id: i64,
    form: &std::collections::HashMap<String, String>,
) -> Result<HttpResponse, AppError> {
    if !fan.csrf_ok(state, &slug, form.get("csrf_token").map(String::as_str)) {
        return Err(AppError::forbidden(
            "csrf",
            "this form has expired or did not come from this page; reload it and try again",
        ));
    }
    let Some(voter) = fan.voter() else {
        return Err(AppError::unauthorized(
            "login_required",
            "log in with Facebook to vote, so each person votes once",
        ));
    };
    if let Some(ip) = fan.ip.clone() {
        let max = state.settings.limits.votes_per_ip_per_10m;
        let allowed = state
            .db
            .run(move |c| Ok(rate_limits::hit(c, &format!("vote:{ip}"), 600, max)?))
            .await?;
        if !allowed {
            return Err(AppError::rate_limited(
                "too many votes from this network; try again in a few minutes",
            ));
        }
    }
    let (contest, _page) = load_public(state, slug.clone()).await?;
    let (ip, ua) = (fan.ip.clone(), fan.user_agent_hash());
    let outcome = state
        .db
        .transaction(move |conn| {
            voting::vote(
                conn,
                VoteRequest {
                    contest: &contest,
                    entry_id,
                    voter: &voter,
                    ip,
                    user_agent_hash: ua,
                    now: Utc::now(),
                },
            )
        })
        .await?;
    if fan.wants_json {
        return Ok(HttpResponse::Ok().json(match outcome {
            VoteOutcome::Counted(id) => json!({"status": "counted", "vote_id": id}),
            VoteOutcome::AlreadyVoted => json!({"status": "already_voted"}),
        }));
    }
    let flag = match outcome {
        VoteOutcome::Counted(_) => "voted",
        VoteOutcome::AlreadyVoted => "already_voted",
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, format!("/c/{slug}?{flag}=1#entry-{entry_id}")))
        .finish())
}
