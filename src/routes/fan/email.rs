//! Voting without Facebook: a fan confirms an email address.
//! `POST /c/{slug}/verify-email` sends a single-use link (valid for
//! `email.confirmation_ttl_secs`); `GET /c/{slug}/confirm?token=…` opens a fan
//! session for that address. Only hashes of the tokens are stored.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::context::FanRequest;
use super::page::load_public;
use crate::auth::cookies::{fan_cookie, FAN_COOKIE};
use crate::crypto::{random_token, sha256_hex};
use crate::db::email;
use crate::error::AppError;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;
use crate::ui::layout::FanLayout;

#[derive(Template)]
#[template(path = "fan/email_sent.html")]
struct EmailSent {
    layout: FanLayout,
    slug: String,
}

#[utoipa::path(
    post,
    path = "/c/{slug}/verify-email",
    operation_id = "fan_verify_email",
    tag = "fan",
    description = "Sends a confirmation link to `email` (with `csrf_token`), the way to vote without Facebook.",
    params(("slug" = String, Path, description = "The contest's fan-page slug"), ("Accept" = Option<String>, Header, description = "`application/json` for a JSON answer; otherwise HTML")),
    responses(
        (status = 202, description = "The link was sent", body = crate::routes::fan::docs::EmailSent),
        (status = 403, description = "Missing or stale csrf_token", body = ErrorResponse),
        (status = 404, description = "No such public contest", body = ErrorResponse),
        (status = 422, description = "Not an email address", body = ErrorResponse),
        (status = 429, description = "Too many links asked for; retry later", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    )
)]
pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let fan = FanRequest::from(&req);
    let slug = slug.into_inner();
    match send(&state, &fan, &slug, &form).await {
        Ok(r) => r,
        Err(e) => super::error::respond(fan.wants_json, e, &slug, None),
    }
}

async fn send(
    state: &web::Data<AppState>,
    fan: &FanRequest,
    slug: &str,
    form: &std::collections::HashMap<String, String>,
) -> Result<HttpResponse, AppError> {
    if !fan.csrf_ok(state, slug, form.get("csrf_token").map(String::as_str)) {
        return Err(AppError::forbidden(
            "csrf",
            "this form has expired; reload the page and try again",
        ));
    }
    let address =
        crate::domain::entry_form::parse_email(form.get("email").map(String::as_str).unwrap_or(""))
            .map_err(|(_, message)| AppError::invalid("invalid_email", message))?;
    if let Some(ip) = fan.ip.clone() {
        let max = state.settings.limits.entries_per_ip_per_10m;
        let ok = state
            .db
            .run(move |c| {
                Ok(crate::db::rate_limits::hit(
                    c,
                    &format!("email:{ip}"),
                    600,
                    max,
                )?)
            })
            .await?;
        if !ok {
            return Err(AppError::rate_limited(
                "too many confirmation emails from this network; try again later",
            ));
        }
    }
    let (contest, page) = load_public(state, slug.to_string()).await?;
    let token = random_token(24);
    let link = format!(
        "{}/c/{}/confirm?token={token}",
        state.public_url, contest.slug
    );
    let expires = Utc::now() + Duration::seconds(state.settings.email.confirmation_ttl_secs);
    let body = format!(
        "Hello,\n\nconfirm your email address to vote in \"{}\" by {}:\n\n{link}\n\nThe link works once and expires in {} hours. If you did not ask for it, ignore this message.\n",
        contest.title,
        page.name,
        state.settings.email.confirmation_ttl_secs / 3600
    );
    let subject = format!("Confirm your email to vote: {}", contest.title);
    let (page_id, return_to) = (page.id, format!("/c/{}", contest.slug));
    state
        .db
        .transaction(move |c| {
            email::create_confirmation(
                c,
                &sha256_hex(token.as_bytes()),
                page_id,
                &address,
                &return_to,
                expires,
            )?;
            crate::jobs::handlers::send_email::queue(c, Some(page_id), &address, &subject, &body)?;
            Ok(())
        })
        .await?;
    state.wakeup.wake_all();
    if fan.wants_json {
        return Ok(HttpResponse::Accepted().json(serde_json::json!({"status": "sent"})));
    }
    let html = EmailSent {
        layout: FanLayout::new("Check your inbox", page.name),
        slug: contest.slug,
    }
    .render()
    .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    token: String,
}

#[utoipa::path(
    get,
    path = "/c/{slug}/confirm",
    operation_id = "fan_confirm_email",
    tag = "fan",
    description = "The link from the confirmation email: starts a fan session and returns to the contest. Only its errors are JSON (with `Accept: application/json`).",
    params(("slug" = String, Path, description = "The contest's fan-page slug"), ("token" = String, Query, description = "The token from the email"), ("Accept" = Option<String>, Header, description = "`application/json` for a JSON answer; otherwise HTML")),
    responses(
        (status = 303, description = "Confirmed: on to the contest page, with a fan session cookie"),
        (status = 422, description = "The link is not valid any more", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    )
)]
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<ConfirmQuery>,
) -> HttpResponse {
    let fan = FanRequest::from(&req);
    let slug = slug.into_inner();
    let hash = sha256_hex(q.token.as_bytes());
    let result = state.db.run(move |c| Ok(email::consume(c, &hash)?)).await;
    let confirmed = match result {
        Ok(Some(c)) if c.expires_at > Utc::now() => c,
        Ok(_) => {
            return super::error::respond(
                fan.wants_json,
                AppError::invalid("invalid_link", "this confirmation link is not valid any more; ask for a new one on the contest page"),
                &slug,
                None,
            )
        }
        Err(e) => return super::error::respond(fan.wants_json, e, &slug, None),
    };
    let session = crate::auth::fan::issue(&state, &format!("email:{}", confirmed.email), "");
    let to = format!(
        "{}?confirmed=1",
        super::super::fan_auth::safe_return_to(Some(&confirmed.return_to))
    );
    HttpResponse::Found()
        .insert_header((LOCATION, to))
        .cookie(fan_cookie(
            &state,
            FAN_COOKIE,
            session,
            state.settings.security.fan_session_ttl_secs,
        ))
        .finish()
}
