//! The overview at `GET /dashboard` (signed in): for every page the admin
//! manages, its open contests, what waits for review, the last 30 days of
//! activity and the segment sizes as charts, and a callout when Facebook no
//! longer accepts the page's token or webhooks are not subscribed. Everything
//! is loaded per page of `Ctx::pages` (the admin's own), through the same
//! functions as the trends and contests pages.

use actix_web::web;
use askama::Template;
use chrono::Utc;

use super::contests::status_badge;
use super::insights::{activity_chart, segment_sizes_chart};
use super::pages::{subscription_badge, token_badge, Badge};
use super::{Ctx, DashResult};
use crate::db::{contests, entries, segments};
use crate::domain::contest::Status;
use crate::state::AppState;
use crate::ui::charts::Svg;
use crate::ui::layout::{DashboardLayout, Section};

/// Days of activity in each page's chart.
const DAYS: i64 = 30;

struct OpenContest {
    id: i64,
    title: String,
    badge: (&'static str, &'static str),
    entries: i64,
    pending: i64,
}

struct PageOverview {
    id: i64,
    name: String,
    current: bool,
    token: Badge,
    subscription: Badge,
    needs_reauth: bool,
    /// Token or webhooks in trouble (the callout says which).
    trouble: Option<&'static str>,
    contests_total: usize,
    running: Vec<OpenContest>,
    pending: i64,
    activity: Svg,
    segments: Svg,
}

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct OverviewPage {
    layout: DashboardLayout,
    admin_name: String,
    pages: Vec<PageOverview>,
}

/// Contests that fans can take part in now, or soon.
fn is_running(s: Status) -> bool {
    matches!(s, Status::Open | Status::Scheduled | Status::PrizePoll)
}

pub async fn show(state: web::Data<AppState>, ctx: Ctx) -> DashResult {
    let admin = ctx.admin_id();
    let pages = ctx.pages.clone();
    let settings = state.settings.segments.clone();
    let loaded = state
        .db
        .transaction(move |c| {
            let mut out = Vec::new();
            for p in &pages {
                segments::ensure_personas(c, p.id, &settings)?;
                let list = contests::list_for_admin(c, admin, Some(p.id))?;
                let mut counts = Vec::new();
                for contest in &list {
                    counts.push(entries::status_counts(c, admin, contest.id)?);
                }
                let trends = crate::domain::trends::compute(c, p.id, None, DAYS)?;
                out.push((list, counts, trends));
            }
            Ok(out)
        })
        .await?;
    let now = Utc::now();
    let current = ctx.page.as_ref().map(|p| p.id);
    let overviews = ctx
        .pages
        .iter()
        .zip(loaded)
        .map(|(p, (list, counts, trends))| {
            let mut running = Vec::new();
            let mut pending_total = 0;
            for (contest, n) in list.iter().zip(&counts) {
                let pending: i64 = n.iter().filter(|(s, _)| s == "pending").map(|(_, n)| n).sum();
                pending_total += pending;
                let status = contest.effective_status(now);
                if is_running(status) {
                    running.push(OpenContest {
                        id: contest.id,
                        title: contest.title.clone(),
                        badge: status_badge(status),
                        entries: n.iter().map(|(_, n)| n).sum(),
                        pending,
                    });
                }
            }
            let needs_reauth = p.token_status == "needs_reauth";
            let trouble = if needs_reauth {
                Some("Facebook no longer accepts this page's access: sign in again to reconnect it.")
            } else if p.token_status != "valid" {
                Some("Fanfare could not confirm this page's access token. Check the Pages section.")
            } else if p.subscription_status != "subscribed" {
                Some("Webhooks are not subscribed, so comments and reactions may be missed. Re-subscribe on the Pages section.")
            } else {
                None
            };
            let sizes: Vec<(String, i64)> = trends
                .segments
                .iter()
                .map(|s| (s.name.clone(), s.size))
                .collect();
            PageOverview {
                id: p.id,
                name: p.name.clone(),
                current: Some(p.id) == current,
                token: token_badge(&p.token_status),
                subscription: subscription_badge(&p.subscription_status),
                needs_reauth,
                trouble,
                contests_total: list.len(),
                running,
                pending: pending_total,
                activity: activity_chart(
                    &trends,
                    &format!("Daily activity on {}, last {DAYS} days", p.name),
                ),
                segments: segment_sizes_chart(&sizes),
            }
        })
        .collect();
    ctx.render(&OverviewPage {
        layout: ctx.layout("Overview", Section::Overview),
        admin_name: ctx.admin.name.clone(),
        pages: overviews,
    })
}
