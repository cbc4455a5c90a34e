//! "Log in with Facebook" for fans, the alternative to typing the entry form:
//! `GET /auth/fan/login?page=<facebook page id>&return_to=/c/<slug>` and
//! `GET /auth/fan/callback`. Creates or links the fan's contact on that page and
//! sets a fan session cookie, separate from admin sessions.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};
use serde::Deserialize;

use crate::auth::cookies::{fan_cookie, removal, FAN_COOKIE, OAUTH_COOKIE};
use crate::db::{contacts, fan_tokens, pages};
use crate::domain::oauth::{self, StateProblem};
use crate::error::AppError;
use crate::platform::facebook::graph::{AccessToken, TokenOwner};
use crate::routes::auth::auth_error_page;
use crate::state::AppState;

/// `email` and `user_friends` are optional: the fan may untick them in the dialog.
pub const FAN_SCOPES: &str = "public_profile,email,user_friends";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/fan/login", web::get().to(login))
        .route("/auth/fan/callback", web::get().to(callback));
}

fn callback_url(state: &AppState) -> String {
    format!("{}/auth/fan/callback", state.public_url)
}

/// Only same-site relative paths: never an open redirect.
pub fn safe_return_to(raw: Option<&str>) -> String {
    match raw {
        Some(p)
            if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && p.len() < 512 =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    page: String,
    return_to: Option<String>,
}

async fn login(
    state: web::Data<AppState>,
    q: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let fb_page = q.page.clone();
    let return_to = safe_return_to(q.return_to.as_deref());
    let ttl = state.settings.security.oauth_state_ttl_secs;
    let started = state
        .db
        .run(move |c| {
            let page = pages::find_by_fb_id(c, &fb_page)?
                .ok_or_else(|| AppError::not_found("this page does not run Fanfare"))?;
            Ok(oauth::start(
                c,
                "fan",
                ttl,
                Some(page.id),
                Some(&return_to),
            )?)
        })
        .await?;
    let fb = &state.settings.facebook;
    let to = oauth::dialog_url(
        &state.services.urls.dialog,
        &fb.api_version,
        &fb.app_id,
        &callback_url(&state),
        &started.state,
        FAN_SCOPES,
    );
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, to))
        .cookie(fan_cookie(&state, OAUTH_COOKIE, started.browser_nonce, ttl))
        .finish())
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let nonce = req.cookie(OAUTH_COOKIE).map(|c| c.value().to_string());
    let oauth_state = q.state.clone();
    let used = state
        .db
        .run(move |c| {
            Ok(oauth::finish(
                c,
                "fan",
                oauth_state.as_deref(),
                nonce.as_deref(),
            )?)
        })
        .await?;
    let used = match used {
        Ok(u) => u,
        Err(problem) => {
            let (title, message) = problem.explain();
            let status = if problem == StateProblem::OtherBrowser {
                403
            } else {
                400
            };
            return Ok(auth_error_page(status, title, message, "/"));
        }
    };
    let return_to = safe_return_to(used.return_to.as_deref());
    if q.error.is_some() {
        // Cancelling is fine: the form still works without logging in.
        return Ok(HttpResponse::Found()
            .insert_header((LOCATION, return_to))
            .cookie(removal(OAUTH_COOKIE))
            .finish());
    }
    let Some(code) = q.code.clone() else {
        return Ok(auth_error_page(
            400,
            "This login link is incomplete",
            "No code came back from Facebook.",
            &return_to,
        ));
    };
    let page_id = used
        .page_id
        .ok_or_else(|| AppError::bad_request("bad_state", "fan login without a page"))?;
    let graph = &state.services.graph;
    let token = match graph.exchange_code(&code, &callback_url(&state)).await {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(error = %e, "fan login code refused");
            return Ok(auth_error_page(
                400,
                "Facebook refused this login",
                "The login code was not accepted (it may have been used already). You can still enter with the form.",
                &return_to,
            ));
        }
    };
    let mut user = AccessToken {
        value: token.access_token,
        owner: TokenOwner::User(String::new()),
    };
    let me = graph
        .me(&user, &["id", "name", "email"])
        .await
        .map_err(AppError::upstream)?;
    user.owner = TokenOwner::User(me.id.clone());
    let friends = graph.friends_count(&user).await.unwrap_or(None);
    let name = me.name.clone().unwrap_or_default();
    let enc = state
        .keys
        .tokens
        .encrypt(user.value.expose(), &format!("fan:{}", me.id));
    let expires = token.expires_in.map(|s| Utc::now() + Duration::seconds(s));
    let (asid, email, display) = (me.id.clone(), me.email.clone(), name.clone());
    // A fan who came through someone's referral link (a genuine attribution
    // cookie) and is new here is a referral contact; an existing one keeps its
    // first source.
    let referred = req
        .cookie(crate::auth::cookies::REFERRAL_COOKIE)
        .and_then(|c| {
            crate::domain::referrals::verify_attribution(
                &state.keys.referral,
                c.value(),
                Utc::now(),
            )
        })
        .is_some();
    state
        .db
        .transaction(move |c| {
            let resolved = contacts::resolve(
                c,
                &contacts::Observation {
                    page_id,
                    asid: Some(asid.clone()),
                    email,
                    display_name: Some(display),
                    source: if referred { "referral" } else { "login" },
                    ..Default::default()
                },
            )?;
            if let Some(n) = friends {
                contacts::set_friends_count(c, resolved.contact_id, n as i32)?;
            }
            let scopes = if friends.is_some() {
                "public_profile,user_friends"
            } else {
                "public_profile"
            };
            fan_tokens::upsert(c, &asid, &enc, scopes, expires)?;
            Ok(())
        })
        .await?;
    let session = crate::auth::fan::issue(&state, &me.id, &name);
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, return_to))
        .cookie(removal(OAUTH_COOKIE))
        .cookie(fan_cookie(
            &state,
            FAN_COOKIE,
            session,
            state.settings.security.fan_session_ttl_secs,
        ))
        .finish())
}
