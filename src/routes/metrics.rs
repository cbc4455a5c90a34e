//! `/metrics` in the Prometheus text format.

use actix_web::{web, HttpResponse};

use crate::error::AppError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    // Queue depth is sampled now; a database outage must not hide the other metrics.
    if let Ok(depth) = state.db.run(|c| Ok(crate::db::jobs::depth(c)?)).await {
        let g = &state.metrics.queue_depth;
        g.with_label_values(&["ready"]).set(depth.ready);
        g.with_label_values(&["scheduled"]).set(depth.scheduled);
        g.with_label_values(&["dead"]).set(depth.dead);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render()))
}
