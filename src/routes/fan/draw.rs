//! `GET /c/{slug}/draw.json`: the public record of a contest's random draw
//! (`domain::draw::DrawRecord`, seed revealed), everything needed to recompute
//! the winners, e.g. with `fanfare verify-draw <this URL>`. 404 until the draw,
//! and for contests whose winners were picked another way.

use actix_web::{web, HttpResponse};

use super::page::load_public;
use crate::error::AppError;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/c/{slug}/draw.json",
    operation_id = "fan_draw_record",
    tag = "fan",
    params(("slug" = String, Path, description = "The contest's fan-page slug")),
    responses(
        (status = 200, description = "The published random draw, seed revealed: enough to recompute the winners", body = crate::domain::draw::DrawRecord),
        (status = 404, description = "No such public contest, or no published random draw", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (contest, _page) = load_public(&state, slug.into_inner()).await?;
    let record = state
        .db
        .run(move |c| Ok(crate::db::draws::find_draw(c, contest.id)?))
        .await?
        .and_then(|d| d.record)
        .ok_or_else(|| AppError::not_found("this contest has no published random draw"))?;
    Ok(HttpResponse::Ok()
        // A record never changes once published.
        .insert_header(("cache-control", "public, max-age=300"))
        .json(record))
}
