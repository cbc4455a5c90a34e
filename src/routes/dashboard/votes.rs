//! Vote review: `GET /dashboard/votes?contest=<id>[&all=1]` lists the votes of a
//! contest of the current page that carry fraud signals (or all of them), and
//! `POST /dashboard/votes/{id}/void` voids one with a reason, through
//! `domain::voting::void` (audited), like the API.

use std::collections::HashMap;

use actix_web::{web, HttpRequest};
use askama::Template;
use serde::Deserialize;

use super::contests::in_zone;
use super::{outcome, see_other, Ctx, DashResult, FormData};
use crate::db::{contests, entries, votes};
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/votes", web::get().to(review))
        .route("/dashboard/votes/{id}/void", web::post().to(void));
}

struct Signal {
    label: &'static str,
    explanation: String,
}

fn signal(code: &str) -> Signal {
    match code {
        "ip_burst" => Signal {
            label: "IP burst",
            explanation: format!(
                "{} or more votes from the same IP within 10 minutes",
                votes::BURST_THRESHOLD
            ),
        },
        "new_identity" => Signal {
            label: "New identity",
            explanation: format!(
                "the voter was first seen less than {} minutes before voting",
                votes::NEW_IDENTITY_SECS / 60
            ),
        },
        other => Signal {
            label: "Signal",
            explanation: other.to_string(),
        },
    }
}

struct Row {
    id: i64,
    when: String,
    voter: String,
    entry: String,
    ip: String,
    ip_votes: i32,
    voter_age: String,
    signals: Vec<Signal>,
    voided: Option<String>,
}

struct ContestChoice {
    id: i64,
    title: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "dashboard/votes.html")]
struct ReviewPage {
    layout: DashboardLayout,
    csrf: String,
    choices: Vec<ContestChoice>,
    contest_id: Option<i64>,
    contest_title: String,
    show_all: bool,
    rows: Vec<Row>,
    signal_help: Vec<Signal>,
}

#[derive(Deserialize)]
struct ReviewQuery {
    contest: Option<String>,
    all: Option<String>,
}

fn age_text(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

async fn review(state: web::Data<AppState>, ctx: Ctx, q: web::Query<ReviewQuery>) -> DashResult {
    let page = ctx.current_page()?.clone();
    let (admin, page_id) = (ctx.admin_id(), page.id);
    let show_all = q.all.as_deref().is_some_and(|a| a == "1" || a == "on");
    let wanted: Option<i64> = q.contest.as_deref().and_then(|c| c.parse().ok());
    let (list, chosen, vote_list, texts) = state
        .db
        .run(move |c| {
            let list = contests::list_for_admin(c, admin, Some(page_id))?;
            // The asked-for contest if it is on this page, else the newest one.
            let chosen = wanted
                .and_then(|w| list.iter().find(|x| x.id == w))
                .or_else(|| list.first())
                .cloned();
            let (vote_list, texts) = match &chosen {
                Some(ch) => {
                    let v = votes::list_for_admin(c, admin, ch.id, !show_all, 500)?;
                    let mut ids: Vec<i64> = v.iter().map(|v| v.vote.entry_id).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    let texts: HashMap<i64, String> = entries::texts_for_admin(c, admin, &ids)?
                        .into_iter()
                        .map(|(id, text)| {
                            let label = text
                                .filter(|t| !t.trim().is_empty())
                                .map(|t| t.chars().take(60).collect::<String>())
                                .unwrap_or_else(|| format!("Entry #{id}"));
                            (id, label)
                        })
                        .collect();
                    (v, texts)
                }
                None => (Vec::new(), HashMap::new()),
            };
            Ok((list, chosen, vote_list, texts))
        })
        .await?;
    let tz = chosen
        .as_ref()
        .map_or("UTC".to_string(), |c| c.time_zone.clone());
    let rows = vote_list
        .iter()
        .map(|v| Row {
            id: v.vote.id,
            when: in_zone(v.vote.created_at, &tz),
            voter: v.voter.clone().unwrap_or_else(|| "Unknown fan".into()),
            entry: texts
                .get(&v.vote.entry_id)
                .cloned()
                .unwrap_or_else(|| format!("Entry #{}", v.vote.entry_id)),
            ip: v.vote.ip.clone().unwrap_or_else(|| "—".into()),
            ip_votes: v.vote.ip_votes_last_10m,
            voter_age: age_text(v.vote.voter_age_secs),
            signals: v.signals.iter().map(|s| signal(s)).collect(),
            voided: v.vote.voided_at.map(|_| {
                v.vote
                    .void_reason
                    .clone()
                    .unwrap_or_else(|| "voided".into())
            }),
        })
        .collect();
    let chosen_id = chosen.as_ref().map(|c| c.id);
    ctx.render(&ReviewPage {
        layout: ctx.layout("Vote review", Section::Votes),
        csrf: ctx.csrf.clone(),
        choices: list
            .iter()
            .map(|c| ContestChoice {
                id: c.id,
                title: c.title.clone(),
                selected: Some(c.id) == chosen_id,
            })
            .collect(),
        contest_id: chosen_id,
        contest_title: chosen.map(|c| c.title).unwrap_or_default(),
        show_all,
        rows,
        signal_help: vec![signal("ip_burst"), signal("new_identity")],
    })
}

async fn void(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let reason = form.get("reason").unwrap_or("").to_string();
    let result = state
        .db
        .transaction(move |c| crate::domain::voting::void(c, admin, id, &reason))
        .await;
    if let Err(e) = &result {
        if e.status() == actix_web::http::StatusCode::NOT_FOUND {
            return Err(AppError::not_found("no such vote").into());
        }
    }
    let contest = result.as_ref().ok().map(|v| v.contest_id);
    let flash = outcome(result, |_| {
        "The vote was voided; it no longer counts.".into()
    })?;
    let mut to = match (
        contest,
        form.get("contest").and_then(|c| c.parse::<i64>().ok()),
    ) {
        (Some(c), _) | (None, Some(c)) => format!("/dashboard/votes?contest={c}"),
        _ => "/dashboard/votes".into(),
    };
    if form.checked("all") && to.contains('?') {
        to.push_str("&all=1");
    }
    Ok(see_other(&state, &to, &[flash]))
}
