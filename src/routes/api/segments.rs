//! Segments: the three personas and admin-defined rule segments.
//! `GET /api/v1/segments?page_id=` (sizes and movement), `POST /api/v1/segments`,
//! `GET/DELETE /api/v1/segments/{id}`, `POST /api/v1/segments/recompute`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::{pages, segments};
use crate::domain::segment_rules::Rule;
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/segments", list)
        .post("/segments", create)
        .post("/segments/recompute", recompute)
        .get("/segments/{id}", show)
        .delete("/segments/{id}", remove);
}

#[derive(Deserialize)]
struct PageQuery {
    page_id: i64,
}

async fn list(
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
    Ok(HttpResponse::Ok().json(json!({ "data": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSegment {
    page_id: i64,
    name: String,
    rule: serde_json::Value,
}

async fn create(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    body: web::Json<NewSegment>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let b = body.into_inner();
    let name = crate::routes::api::input::text("name", &b.name, 1, 100)?;
    let rule = Rule::parse(&b.rule).map_err(|e| {
        AppError::invalid("invalid_rule", e.to_string()).with_details(json!({"path": e.path}))
    })?;
    let key = format!("custom-{}", crate::domain::contest::slugify(&name));
    let (admin, page) = (auth.admin_id, b.page_id);
    let settings = state.settings.segments.clone();
    let rule_json = rule.to_json();
    let view = state
        .db
        .transaction(move |c| {
            pages::find_for_admin(c, admin, page)?;
            let seg = segments::create_custom(c, page, &key, &name, &rule_json)?;
            segments::recompute(c, page, &settings)?;
            Ok(segments::sizes(c, page)?
                .into_iter()
                .find(|v| v.segment.id == seg.id))
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

async fn show(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let view = state
        .db
        .run(move |c| {
            let seg = segments::find_for_admin(c, admin, id)?;
            Ok(segments::sizes(c, seg.page_id)?
                .into_iter()
                .find(|v| v.segment.id == id))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn remove(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let deleted = state
        .db
        .transaction(move |c| {
            let seg = segments::find_for_admin(c, admin, id)?;
            if seg.kind == "persona" {
                return Err(AppError::conflict(
                    "persona",
                    "the three personas cannot be deleted",
                ));
            }
            Ok(segments::delete(c, id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"deleted": deleted})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecomputeInput {
    page_id: i64,
}

/// A full recompute of every segment of the page (incremental updates happen as
/// events arrive; this is the "start over" button).
async fn recompute(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    body: web::Json<RecomputeInput>,
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
    let sizes: serde_json::Map<String, serde_json::Value> =
        sizes.into_iter().map(|(k, v)| (k, json!(v))).collect();
    Ok(HttpResponse::Ok()
        .json(json!({"sizes": sizes, "elapsed_ms": started.elapsed().as_millis() as u64})))
}
