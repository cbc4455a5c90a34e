//! `GET /api/v1/audit?subject_type=contest&subject_id=1`: the audit log of the
//! admin's pages.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::audit;
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/audit", list);
}

#[derive(Deserialize)]
struct Query {
    subject_type: Option<String>,
    subject_id: Option<i64>,
}

async fn list(
    auth: AdminAuth,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let admin = auth.admin_id;
    let q = q.into_inner();
    let rows = state
        .db
        .run(move |c| {
            let subject = match (&q.subject_type, q.subject_id) {
                (Some(t), Some(id)) => Some((t.as_str(), id)),
                _ => None,
            };
            Ok(audit::for_admin(c, admin, subject, 500)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "data": rows })))
}
