//! Webhook and queue health: `GET /dashboard/webhooks` shows recent deliveries,
//! the queue depth and dead letters; `POST /dashboard/jobs/{id}/retry` puts a dead
//! job back in the queue (`db::jobs::retry_dead`, audited).
//!
//! Tenancy: deliveries and dead jobs are shown only when they concern one of the
//! admin's pages (`db::webhooks::recent_deliveries_for_admin`,
//! `db::jobs::dead_for_admin`); system jobs that belong to no page (the clock,
//! data deletion) are counted, never listed. The queue depth is the whole
//! installation's, labelled as such: it is a number, not anyone's data.

use actix_web::{web, HttpRequest};
use askama::Template;
use serde_json::json;

use super::{format_utc, outcome, see_other, Ctx, DashResult, FormData};
use crate::db::audit::{self, Audit};
use crate::db::jobs::{self, Depth};
use crate::db::webhooks;
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/webhooks", web::get().to(health))
        .route("/dashboard/jobs/{id}/retry", web::post().to(retry));
}

struct DeliveryRow {
    id: i64,
    received: String,
    parsed: bool,
    object: String,
    own_events: i64,
    error: Option<String>,
}

struct DeadRow {
    id: i64,
    kind: String,
    attempts: i32,
    error: String,
    failed: String,
    subject: String,
}

#[derive(Template)]
#[template(path = "dashboard/webhooks.html")]
struct HealthPage {
    layout: DashboardLayout,
    csrf: String,
    depth: Depth,
    deliveries: Vec<DeliveryRow>,
    dead: Vec<DeadRow>,
    unparseable: usize,
}

fn kind_label(kind: &str) -> String {
    match kind {
        "process_event" => "Process a page event".into(),
        "process_deliveries" => "Process received webhook deliveries".into(),
        "backfill_comments" => "Collect comments for comment-to-enter".into(),
        other => other.replace('_', " "),
    }
}

fn subject(payload: &serde_json::Value) -> String {
    if let Some(e) = payload.get("event_id").and_then(|v| v.as_i64()) {
        format!("Event #{e}")
    } else if let Some(ids) = payload.get("delivery_ids").and_then(|v| v.as_array()) {
        format!("{} deliveries", ids.len())
    } else if let Some(c) = payload.get("contest_id").and_then(|v| v.as_i64()) {
        format!("Contest #{c}")
    } else {
        String::new()
    }
}

async fn health(state: web::Data<AppState>, ctx: Ctx) -> DashResult {
    let admin = ctx.admin_id();
    let (depth, deliveries, dead) = state
        .db
        .run(move |c| {
            Ok((
                jobs::depth(c)?,
                webhooks::recent_deliveries_for_admin(c, admin, 50)?,
                jobs::dead_for_admin(c, admin, 100)?,
            ))
        })
        .await?;
    let deliveries: Vec<DeliveryRow> = deliveries
        .into_iter()
        .map(|d| DeliveryRow {
            id: d.delivery.id,
            received: format_utc(d.delivery.received_at),
            parsed: d.delivery.parse_status == "parsed",
            object: d.delivery.object.clone().unwrap_or_else(|| "—".into()),
            own_events: d.own_events,
            error: d.delivery.parse_error.clone(),
        })
        .collect();
    ctx.render(&HealthPage {
        layout: ctx.layout("Webhooks & queue", Section::Webhooks),
        csrf: ctx.csrf.clone(),
        depth,
        unparseable: deliveries.iter().filter(|d| !d.parsed).count(),
        deliveries,
        dead: dead
            .into_iter()
            .map(|j| DeadRow {
                id: j.id,
                kind: kind_label(&j.kind),
                attempts: j.attempts,
                error: j.last_error.clone().unwrap_or_default(),
                failed: format_utc(j.updated_at),
                subject: subject(&j.payload),
            })
            .collect(),
    })
}

async fn retry(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let result = state
        .db
        .transaction(move |c| {
            let job = jobs::find_dead_for_admin(c, admin, id)?;
            if !jobs::retry_dead(c, id)? {
                return Err(AppError::conflict(
                    "not_dead",
                    "this job is no longer dead-lettered",
                ));
            }
            audit::record(
                c,
                Audit {
                    page_id: None,
                    admin_id: Some(admin),
                    action: "job.retried",
                    subject_type: "job",
                    subject_id: Some(id),
                    details: json!({"kind": job.kind}),
                },
            )?;
            Ok(job)
        })
        .await;
    if let Err(e) = &result {
        if e.status() == actix_web::http::StatusCode::NOT_FOUND {
            return Err(AppError::not_found("no such dead job").into());
        }
    }
    state.wakeup.wake_all();
    let flash = outcome(result, |j| {
        format!("Job #{} ({}) is queued again.", j.id, kind_label(&j.kind))
    })?;
    Ok(see_other(&state, "/dashboard/webhooks", &[flash]))
}
