//! Segments: the three personas and admin-defined rule segments.
//! `GET /api/v1/segments?page_id=` (sizes and movement), `POST /api/v1/segments`,
//! `GET/DELETE /api/v1/segments/{id}`, `POST /api/v1/segments/recompute`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::admin::AdminAuth;
use crate::db::segments::SegmentView;
use crate::db::{pages, segments};
use crate::domain::segment_admin::{self, SegmentInput};
use crate::error::AppError;
use crate::routes::api::docs::List;
use crate::routes::api::input::ApiJson;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/segments", list)
        .post("/segments", create)
        .post("/segments/recompute", recompute)
        .get("/segments/{id}", show)
        .delete("/segments/{id}", remove);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page whose segments to list.
    page_id: i64,
}

#[utoipa::path(
    get,
    path = "/api/v1/segments",
    operation_id = "segments_list",
    tag = "segments",
    params(PageQuery),
    responses(
        (status = 200, description = "The page's segments with sizes and movement", body = List<SegmentView>),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such page among the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
    auth: AdminAuth,
    state: web::Data<AppState>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (admin, page) = (auth.admin_id, q.page_id);
    let settings = state.settings.segments.clone();
    let list = state
        .db
        .transaction(move |c| {
            pages::find_for_admin(c, admin, page)?;
            segments::ensure_personas(c, page, &settings)?;
            Ok(segments::sizes(c, page)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(List { data: list }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSegment {
    page_id: i64,
    /// 1..=100 characters.
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 100
    )]
    name: String,
    /// A rule tree (see `domain::segment_rules`): `{"all": [...]}`, `{"any": [...]}`,
    /// `{"not": rule}` or `{"field": "shares", "op": "gte", "value": 3}`. Errors name the path.
    #[schema(value_type = crate::routes::api::segment_rule_schema::SegmentRule)]
    rule: serde_json::Value,
}

#[utoipa::path(
    post,
    path = "/api/v1/segments",
    operation_id = "segments_create",
    tag = "segments",
    request_body = NewSegment,
    responses(
        (status = 201, description = "The segment, with its size after a recompute", body = SegmentView),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such page among the admin's pages", body = ErrorResponse),
        (status = 409, description = "A segment of that name exists, or the page has its maximum of custom segments (segment_limit)", body = ErrorResponse),
        (status = 422, description = "Invalid name or rule (`details.path` says where)", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn create(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    body: ApiJson<NewSegment>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let b = body.into_inner();
    let input = SegmentInput::parse(&b.name, &b.rule)?;
    let (admin, page) = (auth.admin_id, b.page_id);
    let settings = state.settings.segments.clone();
    let view = state
        .db
        .transaction(move |c| segment_admin::create(c, admin, page, &input, &settings))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(
    get,
    path = "/api/v1/segments/{id}",
    operation_id = "segments_show",
    tag = "segments",
    params(("id" = i64, Path, description = "The segment id")),
    responses(
        (status = 200, description = "The segment with its size and movement", body = SegmentView),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such segment on the admin's pages", body = ErrorResponse),
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
    let view = state
        .db
        .run(move |c| {
            let seg = segments::find_for_admin(c, admin, id)?;
            segments::sizes(c, seg.page_id)?
                .into_iter()
                .find(|v| v.segment.id == id)
                .ok_or_else(|| AppError::not_found("no such segment"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Serialize, ToSchema)]
pub struct Deleted {
    /// Rows deleted: 1, or 0 when it was already gone.
    pub deleted: usize,
}

#[utoipa::path(
    delete,
    path = "/api/v1/segments/{id}",
    operation_id = "segments_remove",
    tag = "segments",
    params(("id" = i64, Path, description = "The segment id")),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such segment on the admin's pages", body = ErrorResponse),
        (status = 409, description = "The three personas cannot be deleted", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn remove(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let deleted = state
        .db
        .transaction(move |c| segment_admin::delete(c, admin, id))
        .await?;
    Ok(HttpResponse::Ok().json(Deleted { deleted }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecomputeInput {
    page_id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Recomputed {
    /// Segment key → size.
    pub sizes: std::collections::BTreeMap<String, i64>,
    pub elapsed_ms: u64,
}

/// A full recompute of every segment of the page (incremental updates happen as
/// events arrive; this is the "start over" button).
#[utoipa::path(
    post,
    path = "/api/v1/segments/recompute",
    operation_id = "segments_recompute",
    tag = "segments",
    request_body = RecomputeInput,
    responses(
        (status = 200, description = "Every segment of the page, recomputed", body = Recomputed),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such page among the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn recompute(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    body: ApiJson<RecomputeInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, page) = (auth.admin_id, body.page_id);
    let settings = state.settings.segments.clone();
    let started = std::time::Instant::now();
    let sizes = state
        .db
        .transaction(move |c| {
            pages::find_for_admin(c, admin, page)?;
            Ok(segments::recompute(c, page, &settings)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Recomputed {
        sizes: sizes.into_iter().collect(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    }))
}
