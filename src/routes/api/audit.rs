//! `GET /api/v1/audit?subject_type=contest&subject_id=1`: the audit log of the
//! admin's pages.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::admin::AdminAuth;
use crate::db::audit::{self, AuditEntry};
use crate::error::AppError;
use crate::routes::api::docs::List;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/audit", list);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Query {
    /// With `subject_id`: only entries about this subject (`contest`, `entry`, ...).
    #[param(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 100
    )]
    subject_type: Option<String>,
    subject_id: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "audit_list",
    tag = "audit",
    params(Query),
    responses(
        (status = 200, description = "The newest 500 audit entries of the admin's pages", body = List<AuditEntry>),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 422, description = "Control characters in subject_type, or longer than 100 characters", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
    auth: AdminAuth,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let admin = auth.admin_id;
    let q = q.into_inner();
    crate::routes::api::input::query_text("subject_type", q.subject_type.as_deref(), 100)?;
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
    Ok(HttpResponse::Ok().json(List { data: rows }))
}
