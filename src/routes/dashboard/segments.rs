//! Custom segments edited in the dashboard (the list with sizes and movement is
//! `insights.rs`):
//!
//! - `GET /dashboard/segments/new` and `POST /dashboard/segments`: a new
//!   segment on the current page;
//! - `GET /dashboard/segments/{id}/edit` and `POST /dashboard/segments/{id}`:
//!   its name and rule;
//! - `POST /dashboard/segments/{id}/delete`.
//!
//! The rule is typed as JSON in the segment rule language
//! (`domain::segment_rules`); everything goes through `domain::segment_admin`,
//! like the API. A refused form is shown again with what was typed and the
//! reason (with the rule's JSON path), and nothing changes.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use askama::Template;

use super::{explain, see_other, Ctx, DashError, DashResult, FormData};
use crate::db::segments::{self, Segment};
use crate::domain::segment_admin::{self, SegmentInput};
use crate::domain::segment_rules::FIELDS;
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Flash, FlashKind, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/segments/new", web::get().to(new))
        .route("/dashboard/segments", web::post().to(create))
        .route("/dashboard/segments/{id:\\d+}/edit", web::get().to(edit))
        .route("/dashboard/segments/{id:\\d+}", web::post().to(update))
        .route(
            "/dashboard/segments/{id:\\d+}/delete",
            web::post().to(delete),
        );
}

/// What a new segment's rule box starts with: an example to adapt.
const EXAMPLE_RULE: &str = r#"{"all": [
  {"field": "entries", "op": "gte", "value": 1},
  {"field": "marketing_opt_in", "op": "eq", "value": true}
]}"#;

#[derive(Template)]
#[template(path = "dashboard/segment_form.html")]
struct SegmentForm {
    layout: DashboardLayout,
    csrf: String,
    page_name: String,
    /// `None` for a new segment.
    segment_id: Option<i64>,
    name: String,
    rule: String,
    fields: Vec<(&'static str, &'static str)>,
}

impl SegmentForm {
    fn action(&self) -> String {
        match self.segment_id {
            Some(id) => format!("/dashboard/segments/{id}"),
            None => "/dashboard/segments".into(),
        }
    }
}

fn form_page(
    ctx: &Ctx,
    page_name: String,
    segment_id: Option<i64>,
    name: String,
    rule: String,
    flash: Option<Flash>,
) -> SegmentForm {
    let title = if segment_id.is_some() {
        "Edit segment"
    } else {
        "New segment"
    };
    let mut layout = ctx.layout(title, Section::Segments);
    layout.flashes.extend(flash);
    SegmentForm {
        layout,
        csrf: ctx.csrf.clone(),
        page_name,
        segment_id,
        name,
        rule,
        fields: FIELDS.iter().map(|f| (f.name, f.ty.name())).collect(),
    }
}

/// The form's input, or the reason it cannot be read.
fn input_of(form: &FormData) -> Result<SegmentInput, AppError> {
    let raw = form.get("rule").unwrap_or("");
    let rule: serde_json::Value = serde_json::from_str(raw).map_err(|e| {
        AppError::invalid("invalid_rule", format!("the rule is not valid JSON ({e})"))
    })?;
    SegmentInput::parse(form.get("name").unwrap_or(""), &rule)
}

/// Shows the form again with what was typed and why it was refused (422).
fn refused(
    ctx: &Ctx,
    page_name: String,
    segment_id: Option<i64>,
    form: &FormData,
    e: AppError,
) -> DashResult {
    if !e.status().is_client_error() || e.status() == StatusCode::NOT_FOUND {
        return Err(e.into());
    }
    let mut why = explain(&e);
    if let Some(path) = e.details().and_then(|d| d["path"].as_str()) {
        why = format!("{why} (at {path})");
    }
    let flash = Flash::new(
        FlashKind::Error,
        format!("The segment was not saved. {why}"),
    );
    let page = form_page(
        ctx,
        page_name,
        segment_id,
        form.get("name").unwrap_or("").to_string(),
        form.get("rule").unwrap_or("").to_string(),
        Some(flash),
    );
    ctx.render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

fn pretty(rule: &serde_json::Value) -> String {
    serde_json::to_string_pretty(rule).unwrap_or_else(|_| rule.to_string())
}

async fn new(ctx: Ctx) -> DashResult {
    let page_name = ctx.current_page()?.name.clone();
    let page = form_page(
        &ctx,
        page_name,
        None,
        String::new(),
        EXAMPLE_RULE.into(),
        None,
    );
    ctx.render(&page)
}

/// A custom segment of the admin's (a persona is a 404 here: it has no editor).
async fn load_custom(state: &AppState, ctx: &Ctx, id: i64) -> Result<Segment, DashError> {
    let admin = ctx.admin_id();
    let seg = state
        .db
        .run(move |c| Ok(segments::find_for_admin(c, admin, id)?))
        .await?;
    if seg.kind == "persona" {
        return Err(AppError::not_found("the personas are not editable").into());
    }
    Ok(seg)
}

fn page_name_of(ctx: &Ctx, page_id: i64) -> String {
    ctx.pages
        .iter()
        .find(|p| p.id == page_id)
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

async fn edit(state: web::Data<AppState>, ctx: Ctx, path: web::Path<i64>) -> DashResult {
    let seg = load_custom(&state, &ctx, path.into_inner()).await?;
    let page = form_page(
        &ctx,
        page_name_of(&ctx, seg.page_id),
        Some(seg.id),
        seg.name.clone(),
        pretty(&seg.rule),
        None,
    );
    ctx.render(&page)
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let page = ctx.current_page()?.clone();
    let input = match input_of(&form) {
        Ok(i) => i,
        Err(e) => return refused(&ctx, page.name, None, &form, e),
    };
    let (admin, page_id) = (ctx.admin_id(), page.id);
    let settings = state.settings.segments.clone();
    let result = state
        .db
        .transaction(move |c| segment_admin::create(c, admin, page_id, &input, &settings))
        .await;
    match result {
        Ok(v) => Ok(see_other(
            &state,
            "/dashboard/segments",
            &[Flash::new(
                FlashKind::Success,
                format!(
                    "Segment “{}” was created: {} contact{}.",
                    v.segment.name,
                    v.size,
                    if v.size == 1 { "" } else { "s" }
                ),
            )],
        )),
        Err(e) => refused(&ctx, page.name, None, &form, e),
    }
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let seg = load_custom(&state, &ctx, path.into_inner()).await?;
    let page_name = page_name_of(&ctx, seg.page_id);
    let input = match input_of(&form) {
        Ok(i) => i,
        Err(e) => return refused(&ctx, page_name, Some(seg.id), &form, e),
    };
    let (admin, id) = (ctx.admin_id(), seg.id);
    let settings = state.settings.segments.clone();
    let result = state
        .db
        .transaction(move |c| segment_admin::update(c, admin, id, &input, &settings))
        .await;
    match result {
        Ok(v) => Ok(see_other(
            &state,
            "/dashboard/segments",
            &[Flash::new(
                FlashKind::Success,
                format!(
                    "Segment “{}” was saved: {} contacts.",
                    v.segment.name, v.size
                ),
            )],
        )),
        Err(e) => refused(&ctx, page_name, Some(id), &form, e),
    }
}

async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let seg = load_custom(&state, &ctx, path.into_inner()).await?;
    let (admin, id) = (ctx.admin_id(), seg.id);
    state
        .db
        .transaction(move |c| segment_admin::delete(c, admin, id))
        .await?;
    Ok(see_other(
        &state,
        "/dashboard/segments",
        &[Flash::new(
            FlashKind::Success,
            format!("Segment “{}” was deleted.", seg.name),
        )],
    ))
}
