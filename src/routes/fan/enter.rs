//! `POST /c/{slug}/enter`: the entry form (urlencoded, or multipart with an image).
//! HTML by default (re-rendering the form with every problem marked), JSON when
//! the client asks for `application/json`.

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;

use super::context::FanRequest;
use super::form_input;
use super::page::{load_public, render, PageExtras};
use crate::domain::entering::{self, Entrant, Refusal, Submission};
use crate::domain::entry_form::{FieldError, Submitted};
use crate::domain::images::{self, ImageLimits};
use crate::error::AppError;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/c/{slug}/enter",
    operation_id = "fan_enter",
    tag = "fan",
    description = "The entry form (urlencoded, or multipart with a photo), with `csrf_token`, the contest's form fields and `accept_rules`.",
    params(("slug" = String, Path, description = "The contest's fan-page slug"), ("Accept" = Option<String>, Header, description = "`application/json` for a JSON answer; otherwise HTML")),
    responses(
        (status = 201, description = "The entry was made", body = crate::routes::fan::docs::EntryCreated),
        (status = 400, description = "Malformed form", body = ErrorResponse),
        (status = 403, description = "Missing or stale csrf_token", body = ErrorResponse),
        (status = 404, description = "No such open contest", body = ErrorResponse),
        (status = 409, description = "Already entered in this period, or the contest is not open", body = ErrorResponse),
        (status = 413, description = "The photo or form is too large", body = ErrorResponse),
        (status = 422, description = "Invalid fields (`details.fields` lists them)", body = ErrorResponse),
        (status = 429, description = "Too many attempts; retry later", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    )
)]
pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let fan = FanRequest::from(&req);
    let slug = slug.into_inner();
    match enter(&req, &state, &fan, slug.clone(), payload).await {
        Ok(r) => r,
        Err(e) => super::error::respond(fan.wants_json, e, &slug, None),
    }
}

async fn enter(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    fan: &FanRequest,
    slug: String,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let input = form_input::read(req, payload, state.settings.uploads.max_bytes).await?;
    if !fan.csrf_ok(state, &slug, input.get("csrf_token")) {
        return Err(AppError::forbidden(
            "csrf",
            "this form has expired or did not come from this page; reload it and try again",
        ));
    }
    let (contest, page) = load_public(state, slug.clone()).await?;
    if let Some(ip) = fan.ip.clone() {
        let max = state.settings.limits.entries_per_ip_per_10m;
        let allowed = state
            .db
            .run(move |c| {
                Ok(crate::db::rate_limits::hit(
                    c,
                    &format!("enter:{ip}"),
                    600,
                    max,
                )?)
            })
            .await?;
        if !allowed {
            return Err(AppError::rate_limited(
                "too many entries from this network; try again in a few minutes",
            ));
        }
    }
    // A signed_request carried from the tab: verified again, never trusted blindly.
    let mut entrant = Entrant {
        asid: fan.asid(),
        visitor_id: Some(fan.visitor_id.clone()),
        ip: fan.ip.clone(),
        user_agent_hash: fan.user_agent_hash(),
        // A referral link clicked in this browser (signed; forged ones are ignored).
        referral: req
            .cookie(crate::auth::cookies::REFERRAL_COOKIE)
            .and_then(|c| {
                crate::domain::referrals::verify_attribution(
                    &state.keys.referral,
                    c.value(),
                    Utc::now(),
                )
            }),
        ..Default::default()
    };
    let mut carried_sr = None;
    if let Some(raw) = input.get("signed_request").filter(|s| !s.is_empty()) {
        let mut f = std::collections::HashMap::new();
        f.insert("signed_request".to_string(), raw.to_string());
        let sr = crate::routes::facebook_callbacks::verified_signed_request(state, &f)?;
        entrant.prefill = super::tab::prefill_from(&sr);
        if entrant.asid.is_none() {
            entrant.asid = sr.app_scoped_user_id().map(str::to_string);
        }
        carried_sr = Some(raw.to_string());
    }
    if let Some(s) = &fan.session {
        if entrant.prefill.name.is_none() && !s.name.is_empty() {
            entrant.prefill.name = Some(s.name.clone());
        }
    }
    let form: Submitted = input
        .fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf_token" | "signed_request" | "text"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let now = Utc::now();
    let mut sub = Submission {
        form,
        text: input.get("text").map(str::to_string),
        image_name: None,
    };
    // Checks that need no image first, so a bad form never stores a file.
    let mut image_error = None;
    let checked = entering::check(&contest, &sub, &entrant, now);
    let checked = match (checked, input.image) {
        (Ok(valid), Some(bytes)) if contest.kind() == crate::domain::contest::Kind::Ugc => {
            let limits = ImageLimits::from_settings(&state.settings.uploads);
            let dir = state.settings.uploads.dir.clone();
            let stored = actix_web::web::block(move || -> Result<_, AppError> {
                let img = images::process(&bytes, &limits).map_err(AppError::from)?;
                images::store(&dir, &img).map_err(AppError::internal)
            })
            .await?;
            match stored {
                Ok(s) => {
                    sub.image_name = Some(s.name);
                    Ok(valid)
                }
                Err(e) => {
                    image_error = Some(e);
                    Err(Refusal::Invalid(vec![]))
                }
            }
        }
        // The image alone can satisfy "text or image": re-check with it present.
        (Err(Refusal::Invalid(errs)), Some(bytes))
            if contest.kind() == crate::domain::contest::Kind::Ugc
                && errs
                    .iter()
                    .all(|e| e.field == "text" && e.code.as_str() == "required") =>
        {
            let limits = ImageLimits::from_settings(&state.settings.uploads);
            let dir = state.settings.uploads.dir.clone();
            let stored = actix_web::web::block(move || -> Result<_, AppError> {
                let img = images::process(&bytes, &limits).map_err(AppError::from)?;
                images::store(&dir, &img).map_err(AppError::internal)
            })
            .await?;
            match stored {
                Ok(s) => {
                    sub.image_name = Some(s.name);
                    entering::check(&contest, &sub, &entrant, now)
                }
                Err(e) => {
                    image_error = Some(e);
                    Err(Refusal::Invalid(errs))
                }
            }
        }
        (other, _) => other,
    };
    let outcome = match checked {
        Err(refusal) => Err(refusal),
        Ok(valid) => {
            let (c2, e2) = (contest.clone(), entrant.clone());
            let sub_text = sub.text.clone();
            let image_name = sub.image_name.clone();
            state
                .db
                .transaction(move |conn| {
                    let sub = Submission {
                        form: Submitted::new(),
                        text: sub_text,
                        image_name,
                    };
                    entering::store(conn, &c2, &valid, &sub, &e2, now)
                })
                .await?
        }
    };
    match outcome {
        Ok(entered) => {
            if fan.wants_json {
                return Ok(HttpResponse::Created().json(json!({"entry": entered.entry})));
            }
            let mut resp = HttpResponse::SeeOther();
            fan.set_cookies(state, &mut resp);
            Ok(resp
                .insert_header((LOCATION, format!("/c/{}?entered=1", contest.slug)))
                .finish())
        }
        Err(refusal) => {
            let mut errors: Vec<FieldError> = match &refusal {
                Refusal::Invalid(e) => e.clone(),
                _ => vec![],
            };
            let mut app_error = refusal.to_app_error();
            if let Some(e) = image_error {
                let field_error = FieldError::new(
                    "image",
                    crate::domain::entry_form::ErrorCode::InvalidChoice,
                    e.message().to_string(),
                );
                errors.push(field_error);
                app_error = e.with_details(json!({"fields": errors}));
            }
            if fan.wants_json {
                return Err(app_error);
            }
            let mut extras = PageExtras {
                values: input
                    .fields
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "csrf_token" | "signed_request"))
                    .cloned()
                    .collect(),
                errors,
                signed_request: carried_sr,
                text: sub.text.clone(),
                ..Default::default()
            };
            if !matches!(refusal, Refusal::Invalid(_)) {
                extras.general.push(app_error.message().to_string());
            }
            let status = app_error.status();
            render(state, fan, &contest, &page, extras, status_or(status)).await
        }
    }
}

fn status_or(s: StatusCode) -> StatusCode {
    if s.is_client_error() {
        s
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}
