//! `/healthz` (the process is alive, no I/O) and `/readyz` (Postgres answers).

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::error::AppError;
use crate::state::AppState;

/// How long /readyz waits for a connection and a round trip.
const READY_TIMEOUT: Duration = Duration::from_millis(1000);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

/// Liveness: the process is up. Never touches the database.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The process is alive", body = super::openapi::Status))
)]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: Postgres answers a round trip within a second.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = super::openapi::Readiness),
        (status = 503, description = "The database is unavailable", body = super::openapi::ErrorResponse),
    )
)]
pub(crate) async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let pool = state.db.pool().clone();
    let check = actix_web::web::block(move || -> Result<(), AppError> {
        let mut conn = pool.get_timeout(READY_TIMEOUT)?;
        crate::db::ping(&mut conn)?;
        Ok(())
    });
    match tokio::time::timeout(READY_TIMEOUT * 2, check).await {
        Ok(Ok(Ok(()))) => Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"}))),
        Ok(Ok(Err(e))) => Err(AppError::unavailable(anyhow::anyhow!(
            "database check failed: {e}"
        ))),
        Ok(Err(e)) => Err(AppError::from(e)),
        Err(_) => Err(AppError::unavailable(anyhow::anyhow!(
            "database check timed out"
        ))),
    }
}
