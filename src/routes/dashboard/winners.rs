//! The end of a contest, per contest of the signed-in admin:
//!
//! - `GET /dashboard/contests/{id}/leaderboard`: ranked by votes and by points
//!   (`domain::leaderboard`, the same rankings as `GET /api/v1/contests/{id}/leaderboard`);
//! - `GET /dashboard/contests/{id}/judging`, `POST …/criteria` and
//!   `POST /dashboard/entries/{id}/scores`: criteria, the signed-in judge's scores
//!   and the ranking by average (`domain::judging`, like the judging API);
//! - `GET /dashboard/contests/{id}/winners`, `POST …/draw` and
//!   `POST /dashboard/winners/{id}/decline`: the draw (`domain::winners::run`),
//!   its commitment and verification details, winners and alternates, and
//!   declines that pass the prize to the next alternate (`domain::winners::decline`).

use actix_web::{web, HttpRequest};
use askama::Template;
use chrono::Utc;

use super::contests::{entry_author, image_url, in_zone, status_badge};
use super::{not_found_stays, outcome, see_other, Ctx, DashResult, FormData};
use crate::db::contests::{self, Contest};
use crate::db::{draws, entries, judging, points as ledger};
use crate::domain::contest::Status;
use crate::domain::draw::{self as draw_rules, DrawRecord};
use crate::domain::judging::{self as judging_rules, ScoreInput};
use crate::domain::leaderboard;
use crate::domain::winners::{self, DrawRequest, Method};
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::charts::{bar_chart, ChartOptions, Svg};
use crate::ui::layout::{DashboardLayout, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/dashboard/contests/{id:\\d+}/leaderboard",
        web::get().to(leaderboard_page),
    )
    .route(
        "/dashboard/contests/{id:\\d+}/judging",
        web::get().to(judging_page),
    )
    .route(
        "/dashboard/contests/{id:\\d+}/criteria",
        web::post().to(add_criterion),
    )
    .route("/dashboard/entries/{id:\\d+}/scores", web::post().to(score))
    .route(
        "/dashboard/contests/{id:\\d+}/winners",
        web::get().to(winners_page),
    )
    .route("/dashboard/contests/{id:\\d+}/draw", web::post().to(draw))
    .route(
        "/dashboard/winners/{id:\\d+}/decline",
        web::post().to(decline),
    );
}

/// The tabs under a contest's title (`dashboard/contest_nav.html`).
pub struct ContestTab {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

pub fn contest_tabs(id: i64, current: &str) -> Vec<ContestTab> {
    [
        ("", "Overview"),
        ("/leaderboard", "Leaderboard"),
        ("/judging", "Judging"),
        ("/winners", "Winners"),
        ("/poll", "Prize poll"),
    ]
    .into_iter()
    .map(|(suffix, label)| ContestTab {
        href: format!("/dashboard/contests/{id}{suffix}"),
        label,
        current: label == current,
    })
    .collect()
}

fn text_excerpt(t: Option<&str>) -> String {
    let t = t.unwrap_or("").trim();
    let mut s: String = t.chars().take(80).collect();
    if t.chars().count() > 80 {
        s.push('…');
    }
    s
}

fn name_or_anonymous(n: Option<&str>) -> String {
    n.map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Anonymous fan")
        .to_string()
}

// ---------- Leaderboard ----------

struct VoteRow {
    rank: usize,
    entry_id: i64,
    author: String,
    votes: i64,
}

struct PointRow {
    rank: usize,
    name: String,
    points: i64,
    first_entry_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "dashboard/leaderboard.html")]
struct LeaderboardPage {
    layout: DashboardLayout,
    c: Contest,
    badge: (&'static str, &'static str),
    tabs: Vec<ContestTab>,
    by_votes: Vec<VoteRow>,
    by_points: Vec<PointRow>,
    chart: Svg,
}

async fn leaderboard_page(
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
) -> DashResult {
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let (contest, mut scored, balances) = state
        .db
        .run(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            let scored = draws::scored_entries(c, id)?;
            let balances = ledger::top_balances(c, id, 50)?;
            Ok((contest, scored, balances))
        })
        .await?;
    leaderboard::by_votes(&mut scored);
    let by_votes: Vec<VoteRow> = scored
        .iter()
        .take(50)
        .enumerate()
        .map(|(i, s)| VoteRow {
            rank: i + 1,
            entry_id: s.entry_id,
            author: name_or_anonymous(s.author.as_deref()),
            votes: s.votes,
        })
        .collect();
    let bars: Vec<(String, f64)> = by_votes
        .iter()
        .take(10)
        .filter(|r| r.votes > 0)
        .map(|r| (format!("#{} {}", r.entry_id, r.author), r.votes as f64))
        .collect();
    let chart = bar_chart(
        "Votes of the ten leading entries",
        &bars,
        &ChartOptions::default().x_label("Votes"),
    );
    ctx.render(&LeaderboardPage {
        layout: ctx.layout(
            format!("Leaderboard · {}", contest.title),
            Section::Contests,
        ),
        badge: status_badge(contest.effective_status(Utc::now())),
        tabs: contest_tabs(id, "Leaderboard"),
        by_votes,
        by_points: balances
            .iter()
            .enumerate()
            .map(|(i, b)| PointRow {
                rank: i + 1,
                name: name_or_anonymous(b.display_name.as_deref()),
                points: b.points,
                first_entry_id: b.first_entry_id,
            })
            .collect(),
        chart,
        c: contest,
    })
}

// ---------- Judging ----------

struct ScoreField {
    criterion_id: i64,
    name: String,
    mine: Option<i16>,
}

impl ScoreField {
    fn selected(&self, n: &i32) -> bool {
        self.mine.map(i32::from) == Some(*n)
    }
}

struct JudgeCard {
    id: i64,
    author: String,
    text: Option<String>,
    image_url: Option<String>,
    average: Option<String>,
    judges: usize,
    fields: Vec<ScoreField>,
}

struct RankRow {
    rank: usize,
    entry_id: i64,
    author: String,
    average: String,
    scores: i64,
}

#[derive(Template)]
#[template(path = "dashboard/judging.html")]
struct JudgingPage {
    layout: DashboardLayout,
    csrf: String,
    c: Contest,
    badge: (&'static str, &'static str),
    tabs: Vec<ContestTab>,
    criteria: Vec<judging::Criterion>,
    cards: Vec<JudgeCard>,
    ranking: Vec<RankRow>,
    drawn: bool,
    can_add: bool,
}

async fn judging_page(state: web::Data<AppState>, ctx: Ctx, path: web::Path<i64>) -> DashResult {
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let (contest, criteria, list, scores, scored, drawn) = state
        .db
        .run(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            let criteria = judging::criteria(c, id)?;
            let list = entries::list_for_admin(c, admin, id, Some("approved"), 200, 0)?;
            let mut scores = Vec::new();
            for e in &list {
                scores.push(judging::scores_of_entry(c, e.entry.id)?);
            }
            let scored = draws::scored_entries(c, id)?;
            let drawn = draws::find_draw(c, id)?.is_some();
            Ok((contest, criteria, list, scores, scored, drawn))
        })
        .await?;
    let cards = list
        .iter()
        .zip(&scores)
        .map(|(e, s)| {
            let average = (!s.is_empty()).then(|| {
                format!(
                    "{:.1}",
                    s.iter().map(|x| f64::from(x.score)).sum::<f64>() / s.len() as f64
                )
            });
            let mut judges: Vec<i64> = s.iter().map(|x| x.admin_id).collect();
            judges.sort_unstable();
            judges.dedup();
            JudgeCard {
                id: e.entry.id,
                author: entry_author(e),
                text: e.entry.text.clone(),
                image_url: image_url(e.entry.image_name.as_deref()),
                average,
                judges: judges.len(),
                fields: criteria
                    .iter()
                    .map(|cr| ScoreField {
                        criterion_id: cr.id,
                        name: cr.name.clone(),
                        mine: s
                            .iter()
                            .find(|x| x.criterion_id == cr.id && x.admin_id == admin)
                            .map(|x| x.score),
                    })
                    .collect(),
            }
        })
        .collect();
    let ranking = leaderboard::by_judges(scored)
        .iter()
        .filter(|s| s.judge_scores > 0)
        .enumerate()
        .map(|(i, s)| RankRow {
            rank: i + 1,
            entry_id: s.entry_id,
            author: name_or_anonymous(s.author.as_deref()),
            average: s.judge_average.map_or("–".into(), |a| format!("{a:.2}")),
            scores: s.judge_scores,
        })
        .collect();
    ctx.render(&JudgingPage {
        layout: ctx.layout(format!("Judging · {}", contest.title), Section::Contests),
        csrf: ctx.csrf.clone(),
        badge: status_badge(contest.effective_status(Utc::now())),
        tabs: contest_tabs(id, "Judging"),
        can_add: !drawn && criteria.len() < judging_rules::MAX_CRITERIA,
        criteria,
        cards,
        ranking,
        drawn,
        c: contest,
    })
}

async fn add_criterion(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let name = form.text("name").unwrap_or("").to_string();
    let description = form.text("description").unwrap_or("").to_string();
    let result = if name.is_empty() || name.chars().count() > 80 {
        Err(AppError::invalid(
            "invalid_name",
            "a criterion needs a name of 1 to 80 characters",
        ))
    } else if description.chars().count() > 500 {
        Err(AppError::invalid(
            "invalid_description",
            "the description is limited to 500 characters",
        ))
    } else {
        state
            .db
            .transaction(move |c| judging_rules::add_criterion(c, admin, id, &name, &description))
            .await
    };
    not_found_stays(&result)?;
    let flash = outcome(result, |c: &judging::Criterion| {
        format!("Criterion “{}” added.", c.name)
    })?;
    Ok(see_other(
        &state,
        &format!("/dashboard/contests/{id}/judging"),
        &[flash],
    ))
}

async fn score(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, entry_id) = (ctx.admin_id(), path.into_inner());
    // Fields are `score_<criterion id>`; blank ones are left out.
    let mut scores = Vec::new();
    for (k, v) in &form.0 {
        let Some(cid) = k.strip_prefix("score_") else {
            continue;
        };
        if v.trim().is_empty() {
            continue;
        }
        let (Ok(criterion_id), Ok(score)) = (cid.parse::<i64>(), v.trim().parse::<i64>()) else {
            return Err(AppError::invalid(
                "invalid_score",
                "a score is a whole number from 1 to 10",
            )
            .into());
        };
        scores.push(ScoreInput {
            criterion_id,
            score,
        });
    }
    let result = state
        .db
        .transaction(move |c| judging_rules::score_entry(c, admin, entry_id, &scores))
        .await;
    not_found_stays(&result)?;
    let contest_id = match &result {
        Ok(e) => e.contest_id,
        Err(_) => {
            let e = state
                .db
                .run(move |c| Ok(entries::find_for_admin(c, admin, entry_id)?))
                .await?;
            e.contest_id
        }
    };
    let flash = outcome(result, |e: &entries::Entry| {
        format!("Your scores for entry #{} are saved.", e.id)
    })?;
    Ok(see_other(
        &state,
        &format!("/dashboard/contests/{contest_id}/judging#judge-{entry_id}"),
        &[flash],
    ))
}

// ---------- Winners and the draw ----------

struct PickRow {
    id: i64,
    order: i32,
    slot: Option<i32>,
    author: String,
    entry_id: i64,
    text: String,
    status: &'static str,
    status_class: &'static str,
    reason: Option<String>,
    current_winner: bool,
}

fn pick_status(s: &str) -> (&'static str, &'static str) {
    match s {
        "won" => ("Winner", "badge badge-approved"),
        "standby" => ("Standing by", "badge badge-info"),
        "declined" => ("Declined", "badge badge-rejected"),
        "skipped" => ("Skipped", "badge badge-pending"),
        _ => ("Other", "badge"),
    }
}

struct Verification {
    algorithm: String,
    seed: String,
    eligible: usize,
    total_weight: u64,
    verified: Result<(), String>,
    record_path: String,
    command: String,
}

#[derive(Template)]
#[template(path = "dashboard/winners.html")]
struct WinnersPage {
    layout: DashboardLayout,
    csrf: String,
    c: Contest,
    badge: (&'static str, &'static str),
    tabs: Vec<ContestTab>,
    commitment: Option<String>,
    committed_at: Option<String>,
    revealed_at: Option<String>,
    closed: bool,
    eligible: usize,
    drawn: Option<(String, String)>,
    winners: Vec<PickRow>,
    alternates: Vec<PickRow>,
    others: Vec<PickRow>,
    verification: Option<Verification>,
}

fn method_label(m: &str) -> &'static str {
    match m {
        "votes" => "Most votes",
        "points" => "Most points",
        "judges" => "Judges' scores",
        "random" => "Verifiable random draw",
        _ => "Unknown",
    }
}

async fn winners_page(state: web::Data<AppState>, ctx: Ctx, path: web::Path<i64>) -> DashResult {
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let (contest, seed, draw, picks, eligible) = state
        .db
        .run(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            let seed = draws::find_seed(c, id)?;
            let draw = draws::find_draw(c, id)?;
            let picks = match &draw {
                Some(d) => draws::pick_views(c, d.id)?,
                None => Vec::new(),
            };
            let eligible = draws::eligible(c, id)?.len();
            Ok((contest, seed, draw, picks, eligible))
        })
        .await?;
    let tz = contest.time_zone.clone();
    let rows: Vec<PickRow> = picks
        .iter()
        .map(|p| {
            let (status, status_class) = pick_status(&p.status);
            PickRow {
                id: p.id,
                order: p.pick_order + 1,
                slot: p.prize_slot,
                author: name_or_anonymous(p.author.as_deref()),
                entry_id: p.entry_id,
                text: text_excerpt(p.entry_text.as_deref()),
                status,
                status_class,
                reason: p.status_reason.clone(),
                current_winner: p.status == "won",
            }
        })
        .collect();
    let (mut winners, mut alternates, mut others) = (Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        if r.current_winner {
            winners.push(r);
        } else if r.status == "Standing by" {
            alternates.push(r);
        } else {
            others.push(r);
        }
    }
    winners.sort_by_key(|r| r.slot);
    let verification = draw
        .as_ref()
        .and_then(|d| d.record.clone())
        .and_then(|r| serde_json::from_value::<DrawRecord>(r).ok())
        .map(|record| {
            let (eligible, total_weight) = record.eligible();
            let record_path = format!("/c/{}/draw.json", contest.slug);
            Verification {
                algorithm: record.algorithm.clone(),
                seed: record.seed.clone(),
                eligible,
                total_weight,
                verified: draw_rules::verify(&record).map_err(|e| e.to_string()),
                command: format!("fanfare verify-draw {}{record_path}", state.public_url),
                record_path,
            }
        });
    let status = contest.effective_status(Utc::now());
    ctx.render(&WinnersPage {
        layout: ctx.layout(format!("Winners · {}", contest.title), Section::Contests),
        csrf: ctx.csrf.clone(),
        badge: status_badge(status),
        tabs: contest_tabs(id, "Winners"),
        commitment: seed.as_ref().map(|s| s.commitment.clone()),
        committed_at: seed.as_ref().map(|s| in_zone(s.committed_at, &tz)),
        revealed_at: seed
            .as_ref()
            .and_then(|s| s.revealed_at)
            .map(|t| in_zone(t, &tz)),
        closed: status == Status::Closed,
        eligible,
        drawn: draw.as_ref().map(|d| {
            (
                method_label(&d.method).to_string(),
                in_zone(d.created_at, &tz),
            )
        }),
        winners,
        alternates,
        others,
        verification,
        c: contest,
    })
}

fn count_field(form: &FormData, name: &str, default: usize) -> Result<usize, AppError> {
    match form.text(name) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| {
            AppError::invalid(
                "invalid_count",
                format!(
                    "{name} must be a whole number from 0 to {}",
                    winners::MAX_PICKS
                ),
            )
        }),
    }
}

async fn draw(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let parsed = (|| {
        let method = form.get("method").and_then(Method::parse).ok_or_else(|| {
            AppError::invalid(
                "invalid_method",
                "choose how winners are picked: votes, points, judges or a random draw",
            )
        })?;
        Ok::<_, AppError>((
            method,
            count_field(&form, "winners", 1)?,
            count_field(&form, "alternates", 0)?,
        ))
    })();
    let result = match parsed {
        Err(e) => Err(e),
        Ok((method, n_winners, n_alternates)) => {
            let keys = state.keys.clone();
            state
                .db
                .transaction(move |c| {
                    let contest = contests::lock_for_admin(c, admin, id)?;
                    let draw = winners::run(
                        c,
                        &keys.tokens,
                        DrawRequest {
                            contest: &contest,
                            method,
                            winners: n_winners,
                            alternates: n_alternates,
                            admin_id: admin,
                            now: Utc::now(),
                        },
                    )?;
                    let picks = draws::picks(c, draw.id)?;
                    Ok((draw, picks))
                })
                .await
        }
    };
    not_found_stays(&result)?;
    let flash = outcome(result, |(d, picks): &(draws::Draw, Vec<draws::Pick>)| {
        let won = picks.iter().filter(|p| p.status == "won").count();
        let standby = picks.iter().filter(|p| p.status == "standby").count();
        format!(
            "Winners picked ({}): {won} winner{}, {standby} alternate{}.",
            method_label(&d.method).to_lowercase(),
            if won == 1 { "" } else { "s" },
            if standby == 1 { "" } else { "s" },
        )
    })?;
    Ok(see_other(
        &state,
        &format!("/dashboard/contests/{id}/winners"),
        &[flash],
    ))
}

async fn decline(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let (admin, pick_id) = (ctx.admin_id(), path.into_inner());
    // The pick must be on one of this admin's pages (404 otherwise).
    let pick = state
        .db
        .run(move |c| Ok(draws::find_pick_for_admin(c, admin, pick_id)?))
        .await?;
    let contest_id = pick.contest_id;
    let reason = form.text("reason").unwrap_or("").to_string();
    let result = if reason.is_empty() || reason.chars().count() > 500 {
        Err(AppError::invalid(
            "reason_required",
            "say why the winner declined (up to 500 characters)",
        ))
    } else {
        state
            .db
            .transaction(move |c| {
                let pick = draws::find_pick_for_admin(c, admin, pick_id)?;
                let contest = contests::find(c, pick.contest_id)?;
                winners::decline(c, &pick, &reason, Some(admin), contest.page_id)
            })
            .await
    };
    let flash = outcome(result, |d: &winners::Declined| match &d.promoted {
        Some(p) => format!(
            "The winner declined; the next alternate (pick {}) takes the prize.",
            p.pick_order + 1
        ),
        None => "The winner declined; no alternate was left to take the prize.".into(),
    })?;
    Ok(see_other(
        &state,
        &format!("/dashboard/contests/{contest_id}/winners"),
        &[flash],
    ))
}
