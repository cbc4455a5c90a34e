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
use crate::state::AppState;

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
    let (ip, ua) = (fan.ip.clone(), fan.user_agent_hash.clone());
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
