//! Moderation in the admin API:
//! `GET /api/v1/contests/{id}/entries?status=pending`,
//! `POST /api/v1/entries/{id}/moderation` and
//! `POST /api/v1/contests/{id}/entries/moderation` (bulk).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::{contests, entries};
use crate::domain::moderation::{apply, STATES};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests/{id}/entries", list)
        .post("/contests/{id}/entries/moderation", bulk)
        .get("/entries/{id}", show)
        .post("/entries/{id}/moderation", one);
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
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
    path: web::Path<i64>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (admin, contest) = (auth.admin_id, path.into_inner());
    let q = q.into_inner();
    if let Some(s) = &q.status {
        if !STATES.contains(&s.as_str()) {
            return Err(AppError::invalid(
                "invalid_status",
                format!("status must be one of {}", STATES.join(", ")),
            ));
        }
    }
    let (limit, offset) = (q.limit.clamp(1, 500), q.offset.max(0));
    let list = state
        .db
        .run(move |c| {
            contests::find_for_admin(c, admin, contest)?;
            Ok(entries::list_for_admin(
                c,
                admin,
                contest,
                q.status.as_deref(),
                limit,
                offset,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "data": list })))
}

async fn show(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let entry = state
        .db
        .run(move |c| Ok(entries::find_for_admin(c, admin, id)?))
        .await?;
    Ok(HttpResponse::Ok().json(entry))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moderation {
    pub status: String,
    pub reason: Option<String>,
    #[serde(default)]
    pub entry_ids: Vec<i64>,
}

async fn one(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<Moderation>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let m = body.into_inner();
    let changed = state
        .db
        .transaction(move |c| apply(c, admin, None, &[id], &m.status, m.reason.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(&changed[0]))
}

async fn bulk(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<Moderation>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, contest) = (auth.admin_id, path.into_inner());
    let m = body.into_inner();
    let changed = state
        .db
        .transaction(move |c| {
            apply(
                c,
                admin,
                Some(contest),
                &m.entry_ids,
                &m.status,
                m.reason.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"data": changed})))
}
