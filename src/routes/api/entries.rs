//! Moderation in the admin API:
//! `GET /api/v1/contests/{id}/entries?status=pending`,
//! `POST /api/v1/entries/{id}/moderation` and
//! `POST /api/v1/contests/{id}/entries/moderation` (bulk).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::admin::AdminAuth;
use crate::db::entries::{Entry, EntryView};
use crate::db::{contests, entries};
use crate::domain::moderation::{apply, STATES};
use crate::error::AppError;
use crate::routes::api::docs::List;
use crate::routes::api::input::ApiJson;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests/{id}/entries", list)
        .post("/contests/{id}/entries/moderation", bulk)
        .get("/entries/{id}", show)
        .post("/entries/{id}/moderation", one);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(pattern = "^(pending|approved|rejected|disqualified)$")]
    status: Option<String>,
    /// 1..=500 (clamped), default 50.
    #[param(default = 50)]
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    50
}

#[utoipa::path(
    get,
    path = "/api/v1/contests/{id}/entries",
    operation_id = "entries_list",
    tag = "entries",
    params(("id" = i64, Path, description = "The contest id"), ListQuery),
    responses(
        (status = 200, description = "The contest's entries, newest first", body = List<EntryView>),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 422, description = "Unknown status", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
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
    Ok(HttpResponse::Ok().json(List { data: list }))
}

#[utoipa::path(
    get,
    path = "/api/v1/entries/{id}",
    operation_id = "entries_show",
    tag = "entries",
    params(("id" = i64, Path, description = "The entry id")),
    responses(
        (status = 200, description = "The entry", body = Entry),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such entry on the admin's pages", body = ErrorResponse),
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
    let entry = state
        .db
        .run(move |c| Ok(entries::find_for_admin(c, admin, id)?))
        .await?;
    Ok(HttpResponse::Ok().json(entry))
}

/// 1..=500 entry ids. Ids are positive (bigserial) and documented up to 2^53 - 1,
/// the largest integer every JSON client holds exactly: a bigger number may reach
/// the server rounded, as a float with a fraction, and is then not an id at all.
fn entry_ids_schema() -> utoipa::openapi::schema::Schema {
    serde_json::from_value(serde_json::json!({
        "type": "array",
        "description": "1..=500 entries of this contest.",
        "minItems": 1,
        "maxItems": 500,
        "items": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9_007_199_254_740_991_i64},
    }))
    .expect("the entry ids schema is valid OpenAPI")
}

/// Bulk moderation: the same, with the entries to change.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum BulkModerationBody {
    Keep(BulkKeepOrApprove),
    Refuse(BulkRefuse),
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct BulkKeepOrApprove {
    #[schema(pattern = "^(pending|approved)$")]
    status: String,
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 500
    )]
    reason: Option<String>,
    #[schema(schema_with = entry_ids_schema)]
    entry_ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct BulkRefuse {
    #[schema(pattern = "^(rejected|disqualified)$")]
    status: String,
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 500
    )]
    reason: String,
    #[schema(schema_with = entry_ids_schema)]
    entry_ids: Vec<i64>,
}

/// The moderation body as the document describes it: rejecting or disqualifying
/// needs a reason (`domain::moderation::apply`). Handlers read [`Moderation`].
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ModerationBody {
    Keep(KeepOrApprove),
    Refuse(Refuse),
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct KeepOrApprove {
    #[schema(pattern = "^(pending|approved)$")]
    status: String,
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 500
    )]
    reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Refuse {
    #[schema(pattern = "^(rejected|disqualified)$")]
    status: String,
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 500
    )]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moderation {
    pub status: String,
    /// Why; required to reject, disqualify or remove.
    pub reason: Option<String>,
    /// Bulk moderation only: the entries to change.
    /// Absent or null outside bulk moderation.
    #[serde(default)]
    pub entry_ids: Option<Vec<i64>>,
}

#[utoipa::path(
    post,
    path = "/api/v1/entries/{id}/moderation",
    operation_id = "entries_one",
    tag = "entries",
    params(("id" = i64, Path, description = "The entry id")),
    request_body = ModerationBody,
    responses(
        (status = 200, description = "The entry, moderated", body = Entry),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such entry on the admin's pages", body = ErrorResponse),
        (status = 409, description = "Not allowed in the contest's current status", body = ErrorResponse),
        (status = 422, description = "Unknown status, or a reason is missing or too long", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn one(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<Moderation>,
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

#[utoipa::path(
    post,
    path = "/api/v1/contests/{id}/entries/moderation",
    operation_id = "entries_bulk",
    tag = "entries",
    params(("id" = i64, Path, description = "The contest id")),
    request_body = BulkModerationBody,
    responses(
        (status = 200, description = "The entries, moderated", body = List<Entry>),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages, or an entry not in it", body = ErrorResponse),
        (status = 409, description = "Not allowed in the contest's current status", body = ErrorResponse),
        (status = 422, description = "Unknown status, no entries, or a reason is missing or too long", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn bulk(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<Moderation>,
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
                m.entry_ids.as_deref().unwrap_or_default(),
                &m.status,
                m.reason.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(List { data: changed }))
}
