//! Contests of the current page: `GET /dashboard/contests` (the list),
//! `GET /dashboard/contests/{id}` (overview, lifecycle buttons and the entries
//! gallery) and `POST /dashboard/contests/{id}/transition` (schedule, open, close,
//! announce — through `domain::lifecycle::transition`, like the API).
//! The editor lives in `contest_form.rs`.

use std::collections::HashMap;

use actix_web::{web, HttpRequest};
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::{outcome, see_other, Ctx, DashResult, FormData};
use crate::db::contests::{self, Contest};
use crate::db::entries::{self, EntryView};
use crate::domain::contest::{Kind, Status};
use crate::domain::moderation::STATES;
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/contests", web::get().to(list))
        .route("/dashboard/contests/{id:\\d+}", web::get().to(show))
        .route(
            "/dashboard/contests/{id:\\d+}/transition",
            web::post().to(transition),
        );
}

pub fn kind_label(kind: &str) -> &'static str {
    match Kind::parse(kind) {
        Some(Kind::Ugc) => "Photo & text entries",
        Some(Kind::Sweepstakes) => "Sweepstakes",
        Some(Kind::CommentToEnter) => "Comment to enter",
        None => "Unknown",
    }
}

/// Badge class and words for a contest status.
pub fn status_badge(s: Status) -> (&'static str, &'static str) {
    match s {
        Status::Draft => ("badge", "Draft"),
        Status::PrizePoll => ("badge badge-info", "Prize poll"),
        Status::Scheduled => ("badge badge-info", "Scheduled"),
        Status::Open => ("badge badge-approved", "Open"),
        Status::Closed => ("badge badge-pending", "Closed"),
        Status::WinnersAnnounced => ("badge badge-healthy", "Winners announced"),
    }
}

/// Badge class and words for an entry's moderation state.
pub fn entry_badge(status: &str) -> (&'static str, &'static str) {
    match status {
        "pending" => ("badge badge-pending", "Pending"),
        "approved" => ("badge badge-approved", "Approved"),
        "rejected" => ("badge badge-rejected", "Rejected"),
        "disqualified" => ("badge badge-rejected", "Disqualified"),
        _ => ("badge", "Unknown"),
    }
}

/// An instant in the contest's own time zone.
pub fn in_zone(t: DateTime<Utc>, tz: &str) -> String {
    let tz: Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    t.with_timezone(&tz)
        .format("%b %-d, %Y %H:%M %Z")
        .to_string()
}

pub fn schedule_text(c: &Contest) -> String {
    match (c.opens_at, c.closes_at) {
        (Some(o), Some(cl)) => format!(
            "{} – {}",
            in_zone(o, &c.time_zone),
            in_zone(cl, &c.time_zone)
        ),
        (Some(o), None) => format!("From {}", in_zone(o, &c.time_zone)),
        (None, Some(cl)) => format!("Until {}", in_zone(cl, &c.time_zone)),
        (None, None) => "No schedule: opened and closed by hand".into(),
    }
}

struct ContestRow {
    id: i64,
    title: String,
    kind: &'static str,
    badge: (&'static str, &'static str),
    schedule: String,
    pending: i64,
    entries: i64,
    slug: String,
    public: bool,
}

#[derive(Template)]
#[template(path = "dashboard/contests.html")]
struct ListPage {
    layout: DashboardLayout,
    page_name: String,
    rows: Vec<ContestRow>,
}

async fn list(state: web::Data<AppState>, ctx: Ctx) -> DashResult {
    let page = ctx.current_page()?.clone();
    let (admin, page_id) = (ctx.admin_id(), page.id);
    let (list, counts) = state
        .db
        .run(move |c| {
            let list = contests::list_for_admin(c, admin, Some(page_id))?;
            let mut counts: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
            for contest in &list {
                counts.insert(contest.id, entries::status_counts(c, admin, contest.id)?);
            }
            Ok((list, counts))
        })
        .await?;
    let now = Utc::now();
    let rows = list
        .iter()
        .map(|c| {
            let n = counts.get(&c.id).cloned().unwrap_or_default();
            ContestRow {
                id: c.id,
                title: c.title.clone(),
                kind: kind_label(&c.kind),
                badge: status_badge(c.effective_status(now)),
                schedule: schedule_text(c),
                pending: n
                    .iter()
                    .filter(|(s, _)| s == "pending")
                    .map(|(_, n)| n)
                    .sum(),
                entries: n.iter().map(|(_, n)| n).sum(),
                slug: c.slug.clone(),
                public: c.status() != Status::Draft,
            }
        })
        .collect();
    ctx.render(&ListPage {
        layout: ctx.layout("Contests", Section::Contests),
        page_name: page.name.clone(),
        rows,
    })
}

/// A lifecycle button: the target status, its words, and a confirmation.
struct Action {
    to: &'static str,
    label: &'static str,
    primary: bool,
    confirm: Option<&'static str>,
}

/// The buttons an admin gets from a status. "Schedule" only when there is an
/// opening time to wait for. Prize polls are not offered here yet (their pages
/// come with the polls feature).
fn actions_from(from: Status, has_opening_time: bool) -> Vec<Action> {
    let all = [
        Action {
            to: "scheduled",
            label: "Schedule",
            primary: true,
            confirm: None,
        },
        Action {
            to: "open",
            label: "Open now",
            primary: from != Status::Draft,
            confirm: Some("Open this contest now? Fans can enter right away."),
        },
        Action {
            to: "closed",
            label: "Close",
            primary: false,
            confirm: Some("Close this contest? Entries and votes stop immediately."),
        },
        Action {
            to: "winners_announced",
            label: "Announce winners",
            primary: true,
            confirm: Some("Announce the winners? This ends the contest for good."),
        },
        Action {
            to: "draft",
            label: "Back to draft",
            primary: false,
            confirm: None,
        },
    ];
    all.into_iter()
        .filter(|a| Status::parse(a.to).is_some_and(|to| from.can_become(to)))
        .filter(|a| a.to != "scheduled" || has_opening_time)
        .map(|mut a| {
            if a.to == "open" && !has_opening_time {
                a.primary = true;
            }
            a
        })
        .collect()
}

struct EntryCard {
    id: i64,
    text: Option<String>,
    image_url: Option<String>,
    author: String,
    votes: i64,
    badge: (&'static str, &'static str),
    reason: Option<String>,
    submitted: String,
}

pub fn entry_author(e: &EntryView) -> String {
    e.author
        .clone()
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "Anonymous fan".into())
}

pub fn image_url(name: Option<&str>) -> Option<String> {
    name.map(|n| format!("/uploads/{n}"))
}

struct Tab {
    href: String,
    label: &'static str,
    count: i64,
    current: bool,
}

#[derive(Template)]
#[template(path = "dashboard/contest.html")]
struct ShowPage {
    layout: DashboardLayout,
    csrf: String,
    c: Contest,
    kind: &'static str,
    badge: (&'static str, &'static str),
    schedule: String,
    actions: Vec<Action>,
    editable: bool,
    public: bool,
    eligibility: String,
    rules_excerpt: String,
    total_votes: i64,
    total_entries: i64,
    pending: i64,
    approved: i64,
    tabs: Vec<Tab>,
    entries: Vec<EntryCard>,
    filter_label: &'static str,
    sections: Vec<super::winners::ContestTab>,
    activity: crate::ui::charts::Svg,
}

#[derive(Deserialize)]
struct ShowQuery {
    status: Option<String>,
}

fn eligibility_text(c: &Contest) -> String {
    let age = c
        .min_age
        .map_or("Any age".to_string(), |a| format!("Aged {a} or over"));
    let countries = match c.allowed_country_list() {
        Some(list) if !list.is_empty() => {
            let names: Vec<&str> = list
                .iter()
                .map(|code| crate::domain::entry_form::country_name(code).unwrap_or(code))
                .collect();
            format!("living in {}", names.join(", "))
        }
        _ => "in any country".into(),
    };
    format!("{age}, {countries}")
}

async fn show(
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    q: web::Query<ShowQuery>,
) -> DashResult {
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let filter = q
        .status
        .as_deref()
        .filter(|s| STATES.contains(s))
        .map(str::to_string);
    let f = filter.clone();
    let (contest, counts, list, total_votes, trends) = state
        .db
        .run(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            let counts = entries::status_counts(c, admin, id)?;
            let list = entries::list_for_admin(c, admin, id, f.as_deref(), 200, 0)?;
            let votes = crate::db::votes::count_for_admin(c, admin, id)?;
            let trends = crate::domain::trends::compute(c, contest.page_id, Some(id), 14)?;
            Ok((contest, counts, list, votes, trends))
        })
        .await?;
    let count = |s: &str| -> i64 { counts.iter().filter(|(k, _)| k == s).map(|(_, n)| *n).sum() };
    let total_entries: i64 = counts.iter().map(|(_, n)| n).sum();
    let mut tabs = vec![Tab {
        href: format!("/dashboard/contests/{id}#entries"),
        label: "All",
        count: total_entries,
        current: filter.is_none(),
    }];
    for s in STATES {
        tabs.push(Tab {
            href: format!("/dashboard/contests/{id}?status={s}#entries"),
            label: entry_badge(s).1,
            count: count(s),
            current: filter.as_deref() == Some(*s),
        });
    }
    let now = Utc::now();
    let status = contest.effective_status(now);
    let rules_excerpt: String = contest.rules_text.chars().take(280).collect();
    let page = ShowPage {
        layout: ctx.layout(contest.title.clone(), Section::Contests),
        csrf: ctx.csrf.clone(),
        kind: kind_label(&contest.kind),
        badge: status_badge(status),
        schedule: schedule_text(&contest),
        actions: actions_from(status, contest.opens_at.is_some()),
        editable: !matches!(contest.status(), Status::Closed | Status::WinnersAnnounced),
        public: contest.status() != Status::Draft,
        eligibility: eligibility_text(&contest),
        rules_excerpt,
        total_votes,
        total_entries,
        pending: count("pending"),
        approved: count("approved"),
        tabs,
        entries: list
            .iter()
            .map(|e| EntryCard {
                id: e.entry.id,
                text: e.entry.text.clone(),
                image_url: image_url(e.entry.image_name.as_deref()),
                author: entry_author(e),
                votes: e.votes,
                badge: entry_badge(&e.entry.status),
                reason: e.entry.status_reason.clone(),
                submitted: in_zone(e.entry.created_at, &contest.time_zone),
            })
            .collect(),
        filter_label: filter.as_deref().map_or("", |s| entry_badge(s).1),
        sections: super::winners::contest_tabs(id, "Overview"),
        activity: super::insights::activity_chart(
            &trends,
            "Daily activity of this contest, last 14 days",
        ),
        c: contest,
    };
    ctx.render(&page)
}

async fn transition(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let to = form
        .get("to")
        .and_then(Status::parse)
        .ok_or_else(|| AppError::invalid("invalid_status", "unknown status"))?;
    let keys = state.keys.clone();
    let result = state
        .db
        .transaction(move |c| {
            crate::domain::lifecycle::transition(c, id, Some(admin), to, Utc::now(), &keys.tokens)
        })
        .await;
    // Another tenant's contest stays a 404, not a flash.
    if let Err(e) = &result {
        if e.status() == actix_web::http::StatusCode::NOT_FOUND {
            return Err(AppError::not_found("no such contest").into());
        }
    }
    let flash = outcome(result, |c: &Contest| {
        let (_, label) = status_badge(c.effective_status(Utc::now()));
        format!("“{}” is now {}.", c.title, label.to_lowercase())
    })?;
    Ok(see_other(
        &state,
        &format!("/dashboard/contests/{id}"),
        &[flash],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(from: Status, opening: bool) -> Vec<&'static str> {
        actions_from(from, opening).iter().map(|a| a.to).collect()
    }

    #[test]
    fn lifecycle_buttons_follow_the_domain_and_the_schedule() {
        assert_eq!(targets(Status::Draft, true), ["scheduled", "open"]);
        assert_eq!(targets(Status::Draft, false), ["open"]);
        assert!(actions_from(Status::Draft, false)[0].primary);
        assert_eq!(targets(Status::Scheduled, true), ["open", "draft"]);
        assert_eq!(targets(Status::Open, true), ["closed"]);
        assert_eq!(targets(Status::Closed, true), ["winners_announced"]);
        assert!(targets(Status::WinnersAnnounced, true).is_empty());
        // Every button asks for a transition the domain allows.
        for from in [
            Status::Draft,
            Status::PrizePoll,
            Status::Scheduled,
            Status::Open,
        ] {
            for a in actions_from(from, true) {
                assert!(from.can_become(Status::parse(a.to).unwrap()));
            }
        }
    }
}
