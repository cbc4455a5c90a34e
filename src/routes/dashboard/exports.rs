//! Exports of the current page's contacts:
//!
//! - `GET /dashboard/exports`: the export form (format, segment, with the row
//!   counts) and the exports made so far (from the audit log);
//! - `POST /dashboard/exports`: CSRF-checked; records the export in the audit log
//!   and answers with the file itself, streamed by the same producer as
//!   `GET /api/v1/exports/contacts` (`routes::api::exports::stream_contacts`).
//!   Demographics are only included for contacts with marketing consent
//!   (`domain::export`).

use actix_web::{web, HttpRequest};
use askama::Template;
use serde_json::json;

use super::{format_utc, Ctx, DashResult, FormData};
use crate::db::audit::{self, Audit};
use crate::db::{crm, segments};
use crate::domain::export::Format;
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/exports", web::get().to(page))
        .route("/dashboard/exports", web::post().to(start));
}

/// The audit action of a dashboard contacts export.
pub const ACTION: &str = "export.contacts";

struct SegmentChoice {
    key: String,
    name: String,
    size: i64,
}

struct PastExport {
    when: String,
    by: String,
    format: String,
    format_label: &'static str,
    segment: String,
    segment_label: String,
    rows: i64,
}

#[derive(Template)]
#[template(path = "dashboard/exports.html")]
struct ExportsPage {
    layout: DashboardLayout,
    csrf: String,
    page_name: String,
    total: i64,
    segments: Vec<SegmentChoice>,
    past: Vec<PastExport>,
}

fn format_label(f: &str) -> &'static str {
    match f {
        "ndjson" => "NDJSON (one JSON object per line)",
        _ => "CSV (spreadsheets)",
    }
}

async fn page(state: web::Data<AppState>, ctx: Ctx) -> DashResult {
    let page = ctx.current_page()?.clone();
    let (admin, page_id) = (ctx.admin_id(), page.id);
    let settings = state.settings.segments.clone();
    let (total, sizes, past) = state
        .db
        .transaction(move |c| {
            segments::ensure_personas(c, page_id, &settings)?;
            let total = crm::count_for_export(c, page_id, None)?;
            let sizes = segments::sizes(c, page_id)?;
            let past = audit::recent_on_page(c, admin, page_id, ACTION, 50)?;
            Ok((total, sizes, past))
        })
        .await?;
    let name_of = |key: &str| {
        sizes
            .iter()
            .find(|s| s.segment.key == key)
            .map_or(key.to_string(), |s| s.segment.name.clone())
    };
    let past = past
        .into_iter()
        .map(|(a, by)| {
            let d = &a.details;
            let format = d["format"].as_str().unwrap_or("csv").to_string();
            let segment = d["segment"].as_str().unwrap_or("").to_string();
            PastExport {
                when: format_utc(a.created_at),
                by: by.unwrap_or_else(|| "An admin".into()),
                format_label: format_label(&format),
                format,
                segment_label: if segment.is_empty() {
                    "All contacts".into()
                } else {
                    name_of(&segment)
                },
                segment,
                rows: d["rows"].as_i64().unwrap_or(0),
            }
        })
        .collect();
    ctx.render(&ExportsPage {
        layout: ctx.layout("Exports", Section::Exports),
        csrf: ctx.csrf.clone(),
        page_name: page.name.clone(),
        total,
        segments: sizes
            .iter()
            .map(|s| SegmentChoice {
                key: s.segment.key.clone(),
                name: s.segment.name.clone(),
                size: s.size,
            })
            .collect(),
        past,
    })
}

async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let page_id = ctx.current_page()?.id;
    let admin = ctx.admin_id();
    let format = Format::parse(form.get("format").unwrap_or("csv"))
        .ok_or_else(|| AppError::invalid("invalid_format", "format must be csv or ndjson"))?;
    let segment = form.text("segment").map(str::to_string);
    let seg = segment.clone();
    state
        .db
        .transaction(move |c| {
            if let Some(key) = &seg {
                if !segments::of_page(c, page_id)?.iter().any(|s| &s.key == key) {
                    return Err(AppError::not_found("no such segment on this page"));
                }
            }
            let rows = crm::count_for_export(c, page_id, seg.as_deref())?;
            audit::record(
                c,
                Audit {
                    page_id: Some(page_id),
                    admin_id: Some(admin),
                    action: ACTION,
                    subject_type: "page",
                    subject_id: Some(page_id),
                    details: json!({
                        "format": if format == Format::Csv { "csv" } else { "ndjson" },
                        "segment": seg,
                        "rows": rows,
                    }),
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(crate::routes::api::exports::stream_contacts(
        &state, page_id, format, segment,
    ))
}
