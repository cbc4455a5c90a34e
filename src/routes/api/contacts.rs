//! The CRM's contacts: `GET /api/v1/contacts?page_id=…` (filters: segment, q,
//! has_email, min_sentiment, sort) and `GET /api/v1/contacts/{id}` (the unified
//! profile with identities, consents, metrics, segments, entries and timeline).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::admin::AdminAuth;
use crate::db::crm::{self, ContactFilter, ContactRow, ContactSort};
use crate::db::{activities, consents, contacts, entries, pages, segments};
use crate::error::AppError;
use crate::routes::api::docs::List;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contacts", list).get("/contacts/{id}", show);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The page whose contacts to list.
    page_id: i64,
    /// Only members of this segment (its key, e.g. `campaigners`).
    #[param(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 100
    )]
    segment: Option<String>,
    /// Search in names and emails, at most 200 characters.
    #[param(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 200
    )]
    q: Option<String>,
    has_email: Option<bool>,
    min_sentiment: Option<f64>,
    /// `recent` (default), `advocacy` or `reach`.
    #[param(pattern = "^(recent|advocacy|reach)$")]
    sort: Option<String>,
    /// 1..=500 (clamped), default 50.
    #[serde(default = "default_limit")]
    #[param(default = 50)]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    50
}

#[utoipa::path(
    get,
    path = "/api/v1/contacts",
    operation_id = "contacts_list",
    tag = "contacts",
    params(ListQuery),
    responses(
        (status = 200, description = "The page's contacts with their metrics", body = List<ContactRow>),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such page among the admin's pages", body = ErrorResponse),
        (status = 422, description = "Unknown sort, q too long, or control characters in q or segment", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
    auth: AdminAuth,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let sort = match q.sort.as_deref() {
        None | Some("recent") => ContactSort::Recent,
        Some("advocacy") => ContactSort::Advocacy,
        Some("reach") => ContactSort::Reach,
        Some(other) => {
            return Err(AppError::invalid(
                "invalid_sort",
                format!("sort `{other}` must be recent, advocacy or reach"),
            ))
        }
    };
    crate::routes::api::input::query_text("segment", q.segment.as_deref(), 100)?;
    crate::routes::api::input::query_text("q", q.q.as_deref(), 200)?;
    let filter = ContactFilter {
        segment: q.segment.filter(|s| !s.is_empty()),
        search: q.q.filter(|s| !s.trim().is_empty()),
        has_email: q.has_email,
        min_sentiment: q.min_sentiment,
        sort,
    };
    let (admin, page) = (auth.admin_id, q.page_id);
    let (limit, offset) = (q.limit.clamp(1, 500), q.offset.max(0));
    let rows = state
        .db
        .run(move |c| {
            pages::find_for_admin(c, admin, page)?;
            Ok(crm::list(c, page, &filter, limit, offset)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(List { data: rows }))
}

/// The unified profile of one contact.
#[derive(Serialize, ToSchema)]
pub struct Profile {
    pub contact: ContactRow,
    pub friends_count: Option<i32>,
    pub identities: Vec<contacts::Identity>,
    pub consents: Vec<consents::Consent>,
    /// Keys of the segments the contact belongs to.
    pub segments: Vec<String>,
    /// The newest 100 entries.
    pub entries: Vec<entries::Entry>,
    /// The newest 500 activities.
    pub timeline: Vec<activities::Activity>,
    pub first_source: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/contacts/{id}",
    operation_id = "contacts_show",
    tag = "contacts",
    params(("id" = i64, Path, description = "The contact id")),
    responses(
        (status = 200, description = "The contact's unified profile", body = Profile),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such contact on the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn show(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let profile = state
        .db
        .run(move |c| {
            crm::page_for_admin(c, admin, id)?;
            let row = crm::one(c, id)?;
            let contact = contacts::find(c, id)?;
            Ok(Profile {
                contact: row,
                friends_count: contact_friends(c, id)?,
                identities: contacts::identities(c, id)?,
                consents: consents::of_contact(c, id)?,
                segments: segments::of_contact(c, id)?,
                entries: entries::all_of_contact(c, id, 100)?,
                timeline: activities::timeline(c, id, 500)?,
                first_source: contact.first_source,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(profile))
}

fn contact_friends(c: &mut diesel::PgConnection, id: i64) -> diesel::QueryResult<Option<i32>> {
    use crate::db::schema::contacts;
    use diesel::prelude::*;
    contacts::table
        .find(id)
        .select(contacts::friends_count)
        .first(c)
}
