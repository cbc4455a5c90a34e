//! The sandbox OAuth dialog: a person picks a sandbox user, reviews the requested
//! scopes (optional ones can be unticked), and is redirected back with `code` and
//! `state`, or with `error=access_denied` when they cancel.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::routes::SandboxState;
use super::store::{self, User};
use crate::error::AppError;

/// Scopes a person may decline; everything else requested is required.
const OPTIONAL_SCOPES: &[&str] = &["email", "user_friends"];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dialog/oauth", web::get().to(show))
        .route(
            r"/{version:v[0-9]+\.[0-9]+}/dialog/oauth",
            web::get().to(show),
        )
        .route("/dialog/oauth/decide", web::post().to(decide));
}

#[derive(Deserialize)]
struct DialogQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    q: Option<String>,
}

struct ScopeRow {
    name: String,
    optional: bool,
}

#[derive(Template)]
#[template(path = "sandbox/dialog.html")]
struct DialogPage<'a> {
    app_name: &'a str,
    client_id: &'a str,
    redirect_uri: &'a str,
    state: &'a str,
    scope: &'a str,
    search: &'a str,
    scopes: Vec<ScopeRow>,
    users: Vec<User>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "sandbox/dialog_error.html")]
struct DialogError<'a> {
    message: &'a str,
}

fn error_page(status: u16, message: &str) -> Result<HttpResponse, AppError> {
    let html = DialogError { message }
        .render()
        .map_err(AppError::internal)?;
    Ok(HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .content_type("text/html; charset=utf-8")
    .body(html))
}

fn parse_scopes(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = scope
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if !out.iter().any(|s| s == "public_profile") {
        out.insert(0, "public_profile".into());
    }
    out.dedup();
    out
}

async fn show(
    state: web::Data<SandboxState>,
    query: web::Query<DialogQuery>,
) -> Result<HttpResponse, AppError> {
    let sb = &state.sandbox;
    let client_id = query.client_id.clone().unwrap_or_default();
    if client_id != sb.app_id {
        return error_page(400, "Invalid App ID: the client_id is not a sandbox app.");
    }
    let redirect_uri = query.redirect_uri.clone().unwrap_or_default();
    if !is_absolute_http(&redirect_uri) {
        return error_page(400, "redirect_uri isn't an absolute URI. Check RFC 3986.");
    }
    let search = query.q.clone().unwrap_or_default();
    let s2 = search.clone();
    let users = state
        .db
        .run(move |conn| Ok(store::dialog_users(conn, Some(&s2), 40)?))
        .await?;
    let scope = query.scope.clone().unwrap_or_default();
    let scopes = parse_scopes(&scope)
        .into_iter()
        .map(|name| ScopeRow {
            optional: OPTIONAL_SCOPES.contains(&name.as_str()),
            name,
        })
        .collect();
    let page = DialogPage {
        app_name: &sb.app_name,
        client_id: &client_id,
        redirect_uri: &redirect_uri,
        state: query.state.as_deref().unwrap_or(""),
        scope: &scope,
        search: &search,
        scopes,
        users,
        error: None,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.render().map_err(AppError::internal)?))
}

fn is_absolute_http(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// `redirect_uri` plus query parameters, keeping any it already has.
fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(redirect_uri).expect("checked absolute");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    url.to_string()
}

async fn decide(
    state: web::Data<SandboxState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let sb = state.sandbox.clone();
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (client_id, redirect_uri, oauth_state, scope) = (
        get("client_id"),
        get("redirect_uri"),
        get("state"),
        get("scope"),
    );
    if client_id != sb.app_id {
        return error_page(400, "Invalid App ID: the client_id is not a sandbox app.");
    }
    if !is_absolute_http(&redirect_uri) {
        return error_page(400, "redirect_uri isn't an absolute URI. Check RFC 3986.");
    }
    if get("action") != "allow" {
        let to = redirect_with(
            &redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_code", "200"),
                ("error_description", "Permissions error"),
                ("error_reason", "user_denied"),
                ("state", &oauth_state),
            ],
        );
        return Ok(HttpResponse::Found().insert_header((LOCATION, to)).finish());
    }
    let user_id = get("user_id");
    let declined: Vec<String> = OPTIONAL_SCOPES
        .iter()
        .filter(|s| !form.iter().any(|(k, v)| k == "grant" && v == *s))
        .map(|s| s.to_string())
        .collect();
    let granted: Vec<String> = parse_scopes(&scope)
        .into_iter()
        .filter(|s| !declined.contains(s))
        .collect();
    let code = crate::crypto::random_token(24);
    let (c2, r2, u2) = (code.clone(), redirect_uri.clone(), user_id.clone());
    let known = state
        .db
        .run(move |conn| {
            if store::user(conn, &u2)?.is_none() {
                return Ok(false);
            }
            store::create_code(conn, &c2, &u2, &r2, &granted)?;
            Ok(true)
        })
        .await?;
    if !known {
        return error_page(400, "Choose a sandbox user to continue.");
    }
    let to = redirect_with(&redirect_uri, &[("code", &code), ("state", &oauth_state)]);
    Ok(HttpResponse::Found().insert_header((LOCATION, to)).finish())
}
