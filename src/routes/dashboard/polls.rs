//! Prize polls (before launch, fans suggest prizes within a budget and vote):
//!
//! - `GET /dashboard/polls`: the polls of the current page's contests;
//! - `GET /dashboard/contests/{id}/poll`: one contest's poll, its suggestions
//!   with votes (and a chart), or the form that opens one (budget cap, closing time);
//! - `POST /dashboard/contests/{id}/poll`, `POST /dashboard/polls/{id}/close`,
//!   `POST /dashboard/polls/{id}/adopt`, `POST /dashboard/suggestions/{id}/moderation`:
//!   the same `domain::prize_poll` functions as the JSON API, CSRF-checked.

use actix_web::{web, HttpRequest};
use askama::Template;
use chrono::Utc;
use serde_json::json;

use super::contests::{in_zone, status_badge};
use super::winners::{contest_tabs, ContestTab};
use super::{not_found_stays, outcome, see_other, Ctx, DashResult, FormData};
use crate::db::contests::{self, Contest};
use crate::db::polls::{self, Poll};
use crate::domain::contest::Status;
use crate::domain::prize_poll::{self, check_budget, check_currency, format_amount, parse_amount};
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::charts::{bar_chart, ChartOptions, Svg};
use crate::ui::layout::{DashboardLayout, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/polls", web::get().to(list))
        .route("/dashboard/contests/{id:\\d+}/poll", web::get().to(show))
        .route("/dashboard/contests/{id:\\d+}/poll", web::post().to(open))
        .route("/dashboard/polls/{id:\\d+}/close", web::post().to(close))
        .route("/dashboard/polls/{id:\\d+}/adopt", web::post().to(adopt))
        .route(
            "/dashboard/suggestions/{id:\\d+}/moderation",
            web::post().to(moderate),
        );
}

struct PollRow {
    contest_id: i64,
    title: String,
    badge: (&'static str, &'static str),
    poll: Option<(String, String, bool)>,
    can_open: bool,
}

#[derive(Template)]
#[template(path = "dashboard/polls.html")]
struct ListPage {
    layout: DashboardLayout,
    page_name: String,
    rows: Vec<PollRow>,
}

async fn list(state: web::Data<AppState>, ctx: Ctx) -> DashResult {
    let page = ctx.current_page()?.clone();
    let (admin, page_id) = (ctx.admin_id(), page.id);
    let rows = state
        .db
        .run(move |c| {
            let mut out = Vec::new();
            for contest in contests::list_for_admin(c, admin, Some(page_id))? {
                let poll = polls::for_contest(c, contest.id)?;
                out.push((contest, poll));
            }
            Ok(out)
        })
        .await?;
    let now = Utc::now();
    ctx.render(&ListPage {
        layout: ctx.layout("Prize polls", Section::Polls),
        page_name: page.name.clone(),
        rows: rows
            .iter()
            .map(|(c, p)| {
                let status = c.effective_status(now);
                PollRow {
                    contest_id: c.id,
                    title: c.title.clone(),
                    badge: status_badge(status),
                    poll: p.as_ref().map(|p| {
                        (
                            format_amount(p.budget_minor, &p.currency),
                            in_zone(p.closes_at, &c.time_zone),
                            prize_poll::is_open(p, c, now),
                        )
                    }),
                    can_open: p.is_none() && status == Status::Draft,
                }
            })
            .collect(),
    })
}

struct SuggestionRow {
    id: i64,
    title: String,
    value: String,
    url: Option<String>,
    by: String,
    votes: i64,
    status: String,
    badge: (&'static str, &'static str),
    reason: Option<String>,
    adopted: bool,
}

#[derive(Template)]
#[template(path = "dashboard/poll.html")]
struct ShowPage {
    layout: DashboardLayout,
    csrf: String,
    c: Contest,
    badge: (&'static str, &'static str),
    tabs: Vec<ContestTab>,
    poll: Option<Poll>,
    budget: String,
    window: String,
    open: bool,
    can_open: bool,
    can_adopt: bool,
    suggestions: Vec<SuggestionRow>,
    chart: Svg,
}

fn suggestion_badge(s: &str) -> (&'static str, &'static str) {
    match s {
        "approved" => ("badge badge-approved", "Approved"),
        "rejected" => ("badge badge-rejected", "Rejected"),
        _ => ("badge badge-pending", "Pending"),
    }
}

async fn show(state: web::Data<AppState>, ctx: Ctx, path: web::Path<i64>) -> DashResult {
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let (contest, poll, list) = state
        .db
        .run(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            let poll = polls::for_contest(c, id)?;
            let list = match &poll {
                Some(p) => polls::list(c, p.id, None)?,
                None => Vec::new(),
            };
            Ok((contest, poll, list))
        })
        .await?;
    let now = Utc::now();
    let status = contest.effective_status(now);
    let open = poll
        .as_ref()
        .is_some_and(|p| prize_poll::is_open(p, &contest, now));
    let currency = poll
        .as_ref()
        .map_or("USD".to_string(), |p| p.currency.clone());
    let bars: Vec<(String, f64)> = list
        .iter()
        .filter(|s| s.suggestion.status != "rejected")
        .take(10)
        .map(|s| (s.suggestion.title.clone(), s.votes as f64))
        .collect();
    let chart = bar_chart(
        "Votes per suggested prize",
        &bars,
        &ChartOptions::default().x_label("Votes"),
    );
    let page = ShowPage {
        layout: ctx.layout(format!("Prize poll · {}", contest.title), Section::Polls),
        csrf: ctx.csrf.clone(),
        badge: status_badge(status),
        tabs: contest_tabs(id, "Prize poll"),
        budget: poll.as_ref().map_or(String::new(), |p| {
            format_amount(p.budget_minor, &p.currency)
        }),
        window: poll.as_ref().map_or(String::new(), |p| {
            format!(
                "{} – {}",
                in_zone(p.opens_at, &contest.time_zone),
                in_zone(p.closed_at.unwrap_or(p.closes_at), &contest.time_zone)
            )
        }),
        open,
        can_open: poll.is_none() && status == Status::Draft,
        can_adopt: poll.is_some()
            && !open
            && !matches!(status, Status::Closed | Status::WinnersAnnounced),
        suggestions: list
            .iter()
            .map(|s| SuggestionRow {
                id: s.suggestion.id,
                title: s.suggestion.title.clone(),
                value: format_amount(s.suggestion.value_minor, &currency),
                url: s
                    .suggestion
                    .url
                    .as_deref()
                    .and_then(crate::ui::layout::safe_href)
                    .map(str::to_string),
                by: s
                    .suggested_by
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| "Anonymous fan".into()),
                votes: s.votes,
                status: s.suggestion.status.clone(),
                badge: suggestion_badge(&s.suggestion.status),
                reason: s.suggestion.status_reason.clone(),
                adopted: poll
                    .as_ref()
                    .is_some_and(|p| p.adopted_suggestion_id == Some(s.suggestion.id)),
            })
            .collect(),
        chart,
        poll,
        c: contest,
    };
    ctx.render(&page)
}

async fn open(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let budget = form.text("budget").unwrap_or("").to_string();
    let currency = form.text("currency").unwrap_or("USD").to_string();
    let closes_at = form.text("closes_at").unwrap_or("").to_string();
    let opens_at = form.text("opens_at").map(str::to_string);
    let keys = state.keys.clone();
    let result = match (
        parse_amount(&json!(budget), "budget").and_then(check_budget),
        check_currency(&currency),
    ) {
        (Ok(budget), Ok(currency)) => {
            state
                .db
                .transaction(move |c| {
                    prize_poll::open_poll(
                        c,
                        &keys.tokens,
                        admin,
                        id,
                        budget,
                        &currency,
                        &closes_at,
                        opens_at.as_deref(),
                    )
                })
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    not_found_stays(&result)?;
    let flash = outcome(result, |(p, _): &(Poll, Contest)| {
        format!(
            "The prize poll is open, with a budget of {}.",
            format_amount(p.budget_minor, &p.currency)
        )
    })?;
    Ok(see_other(
        &state,
        &format!("/dashboard/contests/{id}/poll"),
        &[flash],
    ))
}

async fn close(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let (poll, _) = state
        .db
        .transaction(move |c| prize_poll::close_poll(c, admin, id))
        .await?;
    let flash = outcome(Ok::<_, AppError>(()), |_| {
        "The prize poll is closed; adopt a suggestion as the prize.".into()
    })?;
    Ok(see_other(
        &state,
        &format!("/dashboard/contests/{}/poll", poll.contest_id),
        &[flash],
    ))
}

async fn adopt(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let poll = state
        .db
        .run(move |c| Ok(polls::find_for_admin(c, admin, id)?))
        .await?;
    let suggestion = form
        .get("suggestion_id")
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| AppError::invalid("invalid_suggestion", "choose a suggestion"))?;
    let result = state
        .db
        .transaction(move |c| prize_poll::adopt_suggestion(c, admin, id, suggestion))
        .await;
    not_found_stays(&result)?;
    let flash = outcome(result, |(_, c): &(Poll, Contest)| {
        format!("The prize is now “{}”.", c.prize)
    })?;
    Ok(see_other(
        &state,
        &format!("/dashboard/contests/{}/poll", poll.contest_id),
        &[flash],
    ))
}

async fn moderate(
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
    let suggestion = state
        .db
        .run(move |c| Ok(polls::find_suggestion_for_admin(c, admin, id)?))
        .await?;
    let result = state
        .db
        .transaction(move |c| {
            prize_poll::moderate_suggestion(c, admin, id, &status, reason.as_deref())
        })
        .await;
    let flash = outcome(result, |s: &polls::Suggestion| {
        format!(
            "“{}” is now {}.",
            s.title,
            suggestion_badge(&s.status).1.to_lowercase()
        )
    })?;
    Ok(see_other(
        &state,
        &format!("/dashboard/contests/{}/poll", suggestion.contest_id),
        &[flash],
    ))
}
