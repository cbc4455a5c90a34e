//! The moderation queue: `GET /dashboard/moderation[?contest=<id>]` lists pending
//! entries of the current page's contests; `POST /dashboard/moderation` applies a
//! bulk action to the ticked entries and `POST /dashboard/entries/{id}/moderation`
//! to one. Both go through `domain::moderation::apply` (all or nothing, reasons
//! required for reject and disqualify, audited), like the API.

use std::collections::HashMap;

use actix_web::{web, HttpRequest};
use askama::Template;
use serde::Deserialize;

use super::contests::{entry_author, image_url, in_zone};
use super::{outcome, see_other, Ctx, DashResult, FormData};
use crate::db::{contests, entries};
use crate::domain::moderation::{self, MAX_BATCH};
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/moderation", web::get().to(queue))
        .route("/dashboard/moderation", web::post().to(bulk))
        .route("/dashboard/entries/{id}/moderation", web::post().to(one));
}

struct Row {
    id: i64,
    contest_id: i64,
    contest: String,
    text: Option<String>,
    image_url: Option<String>,
    author: String,
    submitted: String,
    source: &'static str,
}

struct ContestChoice {
    id: i64,
    title: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "dashboard/moderation.html")]
struct QueuePage {
    layout: DashboardLayout,
    csrf: String,
    page_name: String,
    rows: Vec<Row>,
    choices: Vec<ContestChoice>,
    filtered: bool,
    return_to: String,
}

#[derive(Deserialize)]
struct QueueQuery {
    contest: Option<String>,
}

async fn queue(state: web::Data<AppState>, ctx: Ctx, q: web::Query<QueueQuery>) -> DashResult {
    let page = ctx.current_page()?.clone();
    let (admin, page_id) = (ctx.admin_id(), page.id);
    let wanted: Option<i64> = q.contest.as_deref().and_then(|c| c.parse().ok());
    let (list, pending) = state
        .db
        .run(move |c| {
            Ok((
                contests::list_for_admin(c, admin, Some(page_id))?,
                entries::list_for_page(c, admin, page_id, "pending", MAX_BATCH as i64)?,
            ))
        })
        .await?;
    let titles: HashMap<i64, (String, String)> = list
        .iter()
        .map(|c| (c.id, (c.title.clone(), c.time_zone.clone())))
        .collect();
    let filter = wanted.filter(|w| titles.contains_key(w));
    let rows = pending
        .iter()
        .filter(|e| filter.is_none_or(|f| f == e.entry.contest_id))
        .map(|e| {
            let (title, tz) = titles.get(&e.entry.contest_id).cloned().unwrap_or_default();
            Row {
                id: e.entry.id,
                contest_id: e.entry.contest_id,
                contest: title,
                text: e.entry.text.clone(),
                image_url: image_url(e.entry.image_name.as_deref()),
                author: entry_author(e),
                submitted: in_zone(e.entry.created_at, &tz),
                source: if e.entry.source == "comment" {
                    "Comment"
                } else {
                    "Entry form"
                },
            }
        })
        .collect();
    let choices = list
        .iter()
        .map(|c| ContestChoice {
            id: c.id,
            title: c.title.clone(),
            selected: Some(c.id) == filter,
        })
        .collect();
    ctx.render(&QueuePage {
        layout: ctx.layout("Moderation", Section::Moderation),
        csrf: ctx.csrf.clone(),
        page_name: page.name.clone(),
        rows,
        choices,
        filtered: filter.is_some(),
        return_to: match filter {
            Some(f) => format!("/dashboard/moderation?contest={f}"),
            None => "/dashboard/moderation".into(),
        },
    })
}

/// Where to go after an action: the queue (keeping its filter) or a contest page.
fn back(form: &FormData) -> String {
    let to = form.get("return_to").unwrap_or("");
    let safe = (to == "/dashboard/moderation"
        || to.starts_with("/dashboard/moderation?contest=")
        || to.starts_with("/dashboard/contests/"))
        && to
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/?=_-#&".contains(c));
    if safe {
        to.to_string()
    } else {
        "/dashboard/moderation".into()
    }
}

fn done(status: &str, n: usize) -> String {
    let verb = match status {
        "approved" => "approved",
        "rejected" => "rejected",
        "disqualified" => "disqualified",
        _ => "moved back to pending",
    };
    if n == 1 {
        format!("1 entry {verb}.")
    } else {
        format!("{n} entries {verb}.")
    }
}

async fn bulk(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let ids: Vec<i64> = form
        .all("entry_ids")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let status = form.get("status").unwrap_or("").to_string();
    let reason = form.text("reason").map(str::to_string);
    let admin = ctx.admin_id();
    let result = if ids.is_empty() {
        Err(AppError::invalid(
            "invalid_selection",
            "tick at least one entry first",
        ))
    } else {
        let st = status.clone();
        state
            .db
            .transaction(move |c| moderation::apply(c, admin, None, &ids, &st, reason.as_deref()))
            .await
    };
    let flash = outcome(result, |changed| done(&status, changed.len()))?;
    Ok(see_other(&state, &back(&form), &[flash]))
}

async fn one(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let status = form.get("status").unwrap_or("").to_string();
    let reason = form.text("reason").map(str::to_string);
    let st = status.clone();
    let result = state
        .db
        .transaction(move |c| moderation::apply(c, admin, None, &[id], &st, reason.as_deref()))
        .await;
    if let Err(e) = &result {
        if e.status() == actix_web::http::StatusCode::NOT_FOUND {
            return Err(AppError::not_found("no such entry").into());
        }
    }
    let flash = outcome(result, |changed| done(&status, changed.len()))?;
    Ok(see_other(&state, &back(&form), &[flash]))
}
