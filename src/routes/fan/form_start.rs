//! `POST /c/{slug}/form-start` (form field `csrf_token`): the fan began filling in
//! the entry form (sent by `static/app.js` on the first focus of a form field).
//! Idempotent per visitor, contest and day; answers 204 whether new or not. Only
//! recorded while the contest takes entries. Why and how: `domain::form_start`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::context::FanRequest;
use super::page::load_public;
use crate::domain::contest::Status;
use crate::error::AppError;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/c/{slug}/form-start",
    operation_id = "fan_form_start",
    tag = "fan",
    description = "Sent by the fan page's script when a fan starts typing the entry form (funnel statistics; `csrf_token` in the form). Always answers JSON errors.",
    params(("slug" = String, Path, description = "The contest's fan-page slug")),
    responses(
        (status = 204, description = "Recorded (or nothing to record)"),
        (status = 400, description = "Malformed form", body = ErrorResponse),
        (status = 403, description = "Missing or stale csrf_token", body = ErrorResponse),
        (status = 404, description = "No such public contest", body = ErrorResponse),
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
    match record(&state, &fan, slug.clone(), &form).await {
        Ok(r) => r,
        Err(e) => super::error::respond(true, e, &slug, None),
    }
}

async fn record(
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
    let (contest, _page) = load_public(state, slug).await?;
    let now = Utc::now();
    if contest.effective_status(now) != Status::Open {
        return Ok(HttpResponse::NoContent().finish());
    }
    let visitor = fan.visitor_id.clone();
    state
        .db
        .transaction(move |c| {
            crate::db::visitors::touch(c, &visitor, contest.page_id)?;
            let contact = crate::db::visitors::contact_of(c, &visitor)?;
            crate::domain::form_start::record(
                c,
                contest.page_id,
                contest.id,
                &visitor,
                contact,
                "beacon",
                now,
            )?;
            Ok(())
        })
        .await?;
    let mut resp = HttpResponse::NoContent();
    fan.set_cookies(state, &mut resp);
    Ok(resp.finish())
}
