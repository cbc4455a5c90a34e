//! `POST /c/{slug}/share` `{channel: dialog|copy}`: a share from the fan page,
//! recorded for reach (timeline kind `share`) and worth nothing: no points, no
//! entries (Facebook forbids share-to-enter). Works without JavaScript: the
//! dialog channel redirects to Facebook's share dialog for the fan's own invite
//! link (or the contest page), the copy channel back to the link to copy.

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;

use super::context::FanRequest;
use super::page::load_public;
use crate::error::AppError;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/c/{slug}/share",
    operation_id = "fan_share",
    tag = "fan",
    description = "Records a share of the contest (`channel`, `csrf_token` in the form).",
    params(("slug" = String, Path, description = "The contest's fan-page slug"), ("Accept" = Option<String>, Header, description = "`application/json` for a JSON answer; otherwise HTML")),
    responses(
        (status = 200, description = "Recorded (or already recorded today)", body = crate::routes::fan::docs::ShareRecorded),
        (status = 403, description = "Missing or stale csrf_token", body = ErrorResponse),
        (status = 404, description = "No such public contest", body = ErrorResponse),
        (status = 422, description = "Unknown channel", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    )
)]
pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let fan = FanRequest::from(&req);
    let slug = slug.into_inner();
    match share(&state, &fan, slug.clone(), &form).await {
        Ok(r) => r,
        Err(e) => super::error::respond(fan.wants_json, e, &slug, None),
    }
}

/// Facebook's share dialog for a URL.
pub fn dialog_url(shared: &str) -> String {
    let mut u = url::Url::parse("https://www.facebook.com/sharer/sharer.php").expect("static URL");
    u.query_pairs_mut().append_pair("u", shared);
    u.to_string()
}

async fn share(
    state: &web::Data<AppState>,
    fan: &FanRequest,
    slug: String,
    form: &std::collections::HashMap<String, String>,
) -> Result<HttpResponse, AppError> {
    if !fan.csrf_ok(state, &slug, form.get("csrf_token").map(String::as_str)) {
        return Err(AppError::forbidden(
            "csrf",
            "this form has expired or did not come from this page; reload it and try again",
        ));
    }
    let channel = match form.get("channel").map(String::as_str) {
        Some("dialog") => "dialog",
        Some("copy") => "copy",
        _ => {
            return Err(AppError::invalid(
                "invalid_channel",
                "channel must be dialog or copy",
            ))
        }
    };
    let (contest, _page) = load_public(state, slug.clone()).await?;
    let visitor = fan.visitor_id.clone();
    let c2 = contest.clone();
    let (recorded, code) = state
        .db
        .transaction(move |c| {
            let recorded =
                crate::domain::referrals::record_share(c, &c2, &visitor, channel, Utc::now())?;
            let code = match crate::db::visitors::contact_of(c, &visitor)? {
                Some(contact) => crate::db::referrals::code_of(c, c2.id, contact)?,
                None => None,
            };
            Ok((recorded, code))
        })
        .await?;
    if fan.wants_json {
        return Ok(
            HttpResponse::Ok().json(json!({"recorded": recorded, "channel": channel, "points": 0}))
        );
    }
    let shared = match code {
        Some(code) => format!("{}/r/{code}", state.public_url),
        None => format!("{}/c/{}", state.public_url, contest.slug),
    };
    let location = match channel {
        "dialog" => dialog_url(&shared),
        _ => format!("/c/{}?copy=1#ref-link", contest.slug),
    };
    let mut resp = HttpResponse::SeeOther();
    fan.set_cookies(state, &mut resp);
    Ok(resp.insert_header((LOCATION, location)).finish())
}
