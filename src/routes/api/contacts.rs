//! The CRM's contacts: `GET /api/v1/contacts?page_id=…` (filters: segment, q,
//! has_email, min_sentiment, sort) and `GET /api/v1/contacts/{id}` (the unified
//! profile with identities, consents, metrics, segments, entries and timeline).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::crm::{self, ContactFilter, ContactSort};
use crate::db::{activities, consents, contacts, entries, pages, segments};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contacts", list).get("/contacts/{id}", show);
}

#[derive(Deserialize)]
struct ListQuery {
    page_id: i64,
    segment: Option<String>,
    q: Option<String>,
    has_email: Option<bool>,
    min_sentiment: Option<f64>,
    sort: Option<String>,
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    50
}

async fn list(
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
    if q.q.as_deref().is_some_and(|s| s.len() > 200) {
        return Err(AppError::invalid(
            "invalid_length",
            "q is limited to 200 characters",
        ));
    }
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
    Ok(HttpResponse::Ok().json(json!({ "data": rows })))
}

async fn show(
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
            Ok(json!({
                "contact": row,
                "friends_count": contact_friends(c, id)?,
                "identities": contacts::identities(c, id)?,
                "consents": consents::of_contact(c, id)?,
                "segments": segments::of_contact(c, id)?,
                "entries": entries::all_of_contact(c, id, 100)?,
                "timeline": activities::timeline(c, id, 500)?,
                "first_source": contact.first_source,
            }))
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
