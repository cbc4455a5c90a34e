//! `GET /r/{code}`: a personal referral link. Counts one click per visitor,
//! sets the signed attribution cookie and sends the visitor to the contest page
//! (rules in `domain::referrals`).

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::context::FanRequest;
use crate::auth::cookies::{fan_cookie, REFERRAL_COOKIE};
use crate::domain::referrals::{self, ATTRIBUTION_SECS};
use crate::error::AppError;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/r/{code}",
    operation_id = "fan_referral",
    tag = "fan",
    description = "A fan's invite link: remembers the referrer and goes on to the contest.",
    params(("code" = String, Path, description = "The referrer's invite code"), ("Accept" = Option<String>, Header, description = "`application/json` for a JSON answer; otherwise HTML")),
    responses(
        (status = 303, description = "On to the contest's fan page"),
        (status = 404, description = "No such invite code, or its contest is not public", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    )
)]
pub async fn follow(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> HttpResponse {
    let fan = FanRequest::from(&req);
    match follow_inner(&state, &fan, code.into_inner()).await {
        Ok(r) => r,
        Err(e) => super::error::respond(fan.wants_json, e, "", None),
    }
}

async fn follow_inner(
    state: &web::Data<AppState>,
    fan: &FanRequest,
    code: String,
) -> Result<HttpResponse, AppError> {
    let gone = || AppError::not_found("this invite link is not valid (any more)");
    if !referrals::valid_code(&code) {
        return Err(gone());
    }
    let visitor = fan.visitor_id.clone();
    let now = Utc::now();
    let click = state
        .db
        .transaction(move |c| referrals::click(c, &code, &visitor, now))
        .await?
        .ok_or_else(gone)?;
    let mut resp = HttpResponse::SeeOther();
    fan.set_cookies(state, &mut resp);
    resp.cookie(fan_cookie(
        state,
        REFERRAL_COOKIE,
        referrals::sign_attribution(&state.keys.referral, &click.code.code, now),
        ATTRIBUTION_SECS,
    ));
    Ok(resp
        .insert_header((LOCATION, format!("/c/{}", click.contest.slug)))
        .finish())
}
