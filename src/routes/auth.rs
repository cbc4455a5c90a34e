//! Admin sign-in (which installs Fanfare on the admin's pages) and sign-out:
//! `GET /auth/facebook/login`, `GET /auth/facebook/callback`, `POST /auth/logout`.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::admin::AdminAuth;
use crate::auth::cookies::{admin_cookie, removal, ADMIN_COOKIE, OAUTH_COOKIE};
use crate::db::admins;
use crate::domain::install::{self, InstallError, ADMIN_SCOPES};
use crate::domain::oauth::{self, StateProblem};
use crate::error::AppError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/facebook/login", web::get().to(login))
        .route("/auth/facebook/callback", web::get().to(callback))
        .route("/auth/logout", web::post().to(logout));
}

pub fn callback_url(state: &AppState) -> String {
    format!("{}/auth/facebook/callback", state.public_url)
}

async fn login(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let ttl = state.settings.security.oauth_state_ttl_secs;
    let started = state
        .db
        .run(move |c| Ok(oauth::start(c, "admin", ttl, None, None)?))
        .await?;
    let fb = &state.settings.facebook;
    let to = oauth::dialog_url(
        &state.services.urls.dialog,
        &fb.api_version,
        &fb.app_id,
        &callback_url(&state),
        &started.state,
        ADMIN_SCOPES,
    );
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, to))
        .cookie(admin_cookie(
            &state,
            OAUTH_COOKIE,
            started.browser_nonce,
            ttl,
        ))
        .finish())
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_reason: Option<String>,
}

#[derive(Template)]
#[template(path = "auth_error.html")]
struct AuthErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    retry_url: &'a str,
}

/// A clear HTML page (never a bare error) for a refused sign-in.
pub fn auth_error_page(status: u16, title: &str, message: &str, retry_url: &str) -> HttpResponse {
    let html = AuthErrorPage {
        title,
        message,
        retry_url,
    }
    .render()
    .unwrap_or_else(|_| title.to_string());
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .content_type("text/html; charset=utf-8")
    .cookie(removal(OAUTH_COOKIE))
    .body(html)
}

async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let retry = "/auth/facebook/login";
    let nonce = req.cookie(OAUTH_COOKIE).map(|c| c.value().to_string());
    let oauth_state = query.state.clone();
    let checked = state
        .db
        .run(move |c| {
            Ok(oauth::finish(
                c,
                "admin",
                oauth_state.as_deref(),
                nonce.as_deref(),
            )?)
        })
        .await?;
    if let Err(problem) = checked {
        let (title, message) = problem.explain();
        let status = if problem == StateProblem::OtherBrowser {
            403
        } else {
            400
        };
        return Ok(auth_error_page(status, title, message, retry));
    }
    if query.error.is_some() {
        let denied = query.error_reason.as_deref() == Some("user_denied")
            || query.error.as_deref() == Some("access_denied");
        let message = if denied {
            "You cancelled the Facebook dialog, so Fanfare was not installed. Nothing was stored."
        } else {
            "Facebook did not complete the sign-in. Nothing was stored."
        };
        return Ok(auth_error_page(
            403,
            "Sign-in was not completed",
            message,
            retry,
        ));
    }
    let Some(code) = query.code.clone().filter(|c| !c.is_empty()) else {
        return Ok(auth_error_page(
            400,
            "This sign-in link is incomplete",
            "No authorization code came back from Facebook.",
            retry,
        ));
    };
    match install::install(&state, &code, &callback_url(&state)).await {
        Ok(installed) => {
            let token = crate::auth::admin::start(&state, installed.admin_id).await?;
            tracing::info!(
                admin_id = installed.admin_id,
                pages = installed.pages,
                "admin signed in"
            );
            Ok(HttpResponse::Found()
                .insert_header((LOCATION, "/dashboard"))
                .cookie(removal(OAUTH_COOKIE))
                .cookie(admin_cookie(
                    &state,
                    ADMIN_COOKIE,
                    token,
                    state.settings.security.session_max_age_secs,
                ))
                .finish())
        }
        Err(InstallError::CodeUsed) => Ok(auth_error_page(
            400,
            "This sign-in code was already used",
            "Each Facebook sign-in code works once. Start again from the sign-in button.",
            retry,
        )),
        Err(InstallError::CodeRejected(_)) => Ok(auth_error_page(
            400,
            "Facebook refused this sign-in",
            "The authorization code was not accepted. Start again from the sign-in button.",
            retry,
        )),
        Err(InstallError::Platform(e)) => {
            tracing::warn!(error = %e, "install failed at the platform");
            Ok(auth_error_page(
                502,
                "Facebook is not answering as expected",
                "Fanfare could not finish installing. Please try again in a minute.",
                retry,
            ))
        }
        Err(InstallError::Internal(e)) => Err(e),
    }
}

/// Ends the session everywhere (the row is revoked) and clears the cookie.
async fn logout(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let sid = auth.session_id;
    state
        .db
        .run(move |c| Ok(admins::revoke_session(c, sid)?))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, "/"))
        .cookie(removal(ADMIN_COOKIE))
        .finish())
}
