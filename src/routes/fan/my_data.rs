//! `GET /my-data?page=<facebook page id>`: a fan's own data, as JSON (data rights).
//! The fan session proves who they are (a Facebook login or a confirmed email).

use actix_web::http::header::CONTENT_DISPOSITION;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::context::FanRequest;
use crate::db::{activities, consents, contacts, crm, pages, votes};
use crate::error::AppError;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Query {
    page: String,
}

#[utoipa::path(
    get,
    path = "/my-data",
    operation_id = "fan_my_data",
    tag = "fan",
    params(("page" = String, Query, description = "The Facebook id of the page")),
    responses(
        (status = 200, description = "The fan's own data on that page, as a JSON download", body = crate::routes::fan::docs::MyData),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
        (status = 401, description = "No fan session: log in with Facebook or confirm an email first", body = ErrorResponse),
        (status = 404, description = "The page does not run Fanfare", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("fan_session" = []))
)]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let fan = FanRequest::from(&req);
    let voter = fan.voter().ok_or_else(|| {
        AppError::unauthorized(
            "login_required",
            "log in with Facebook to download your data",
        )
    })?;
    let fb_page = q.page.clone();
    let data = state
        .db
        .run(move |c| {
            let page = pages::find_by_fb_id(c, &fb_page)?.ok_or_else(|| AppError::not_found("this page does not run Fanfare"))?;
            let contact = match &voter {
                crate::domain::voting::Voter::Facebook { asid, .. } => contacts::by_identity(c, page.id, "asid", asid)?,
                crate::domain::voting::Voter::Email { email } => contacts::by_identity(c, page.id, "email", email)?,
            };
            let Some(id) = contact else {
                return Ok(json!({"page": page.name, "contact": null, "note": "We hold no data about you for this page."}));
            };
            let my_votes: Vec<votes::Vote> = {
                use crate::db::schema::votes as v;
                use diesel::prelude::*;
                v::table.filter(v::voter_contact_id.eq(id)).select(votes::Vote::as_select()).load(c)?
            };
            let my_entries: Vec<crate::db::entries::Entry> = {
                use crate::db::schema::entries as e;
                use diesel::prelude::*;
                e::table.filter(e::contact_id.eq(id)).select(crate::db::entries::Entry::as_select()).load(c)?
            };
            Ok(json!({
                "page": page.name,
                "contact": crm::one(c, id)?,
                "identities": contacts::identities(c, id)?,
                "consents": consents::of_contact(c, id)?,
                "entries": my_entries,
                "votes": my_votes,
                "timeline": activities::timeline(c, id, 10_000)?,
                "how_to_delete": "Remove the app in your Facebook settings, or ask the page: Fanfare then deletes everything that identifies you.",
            }))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_DISPOSITION, "attachment; filename=\"my-data.json\""))
        .json(data))
}
