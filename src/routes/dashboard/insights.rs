//! Trends and segments of the current page, drawn as server-side SVG charts
//! (`ui::charts`, readable without JavaScript):
//!
//! - `GET /dashboard/trends[?contest=ID][&days=7|30|90]`: daily activity,
//!   sentiment over time, the funnel and segment sizes, from
//!   `domain::trends::compute` (the same numbers as `GET /api/v1/trends`);
//! - `GET /dashboard/segments`: every segment's size, 7-day movement and history
//!   (`db::segments::sizes`, like `GET /api/v1/segments`);
//! - `POST /dashboard/segments/recompute`: the full recompute
//!   (`db::segments::recompute`, like `POST /api/v1/segments/recompute`).

use actix_web::{web, HttpRequest};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{see_other, Ctx, DashResult, FormData};
use crate::db::{contests, segments};
use crate::domain::trends::Trends;
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::charts::{
    bar_chart, funnel_chart, line_chart, ChartOptions, Series, Svg, ValueFormat,
};
use crate::ui::layout::{DashboardLayout, Flash, FlashKind, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/trends", web::get().to(trends))
        .route("/dashboard/segments", web::get().to(segments_page))
        .route("/dashboard/segments/recompute", web::post().to(recompute));
}

/// A chart with the heading shown above it.
pub struct Chart {
    pub heading: String,
    pub svg: Svg,
}

/// Short axis labels for days: "Mar 4".
pub fn day_labels(days: &[NaiveDate]) -> Vec<String> {
    days.iter()
        .map(|d| d.format("%b %-d").to_string())
        .collect()
}

/// The people-facing name of a daily series of `domain::trends`.
fn series_label(name: &str) -> &'static str {
    match name {
        "views" => "Page views",
        "entries" => "Entries",
        "votes" => "Votes",
        "referrals" => "Referral clicks",
        "comments" => "Comments",
        "reach" => "Reach",
        _ => "Other",
    }
}

/// Daily activity (every series except reach, which has its own scale).
pub fn activity_chart(t: &Trends, title: &str) -> Svg {
    let series: Vec<Series> = t
        .series
        .iter()
        .filter(|s| s.name != "reach")
        .map(|s| {
            Series::new(
                series_label(s.name),
                s.values.iter().map(|v| *v as f64).collect(),
            )
        })
        .collect();
    let any = t
        .series
        .iter()
        .filter(|s| s.name != "reach")
        .any(|s| s.values.iter().any(|v| *v != 0));
    if !any {
        return line_chart(title, &[], &[], &ChartOptions::default());
    }
    line_chart(
        title,
        &day_labels(&t.days),
        &series,
        &ChartOptions::default().y_label("Per day"),
    )
}

fn sentiment_chart(t: &Trends) -> Svg {
    let values: Vec<f64> = t.sentiment.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
    let title = "Average sentiment of comments and entries";
    if values.iter().all(|v| !v.is_finite()) {
        return line_chart(title, &[], &[], &ChartOptions::default());
    }
    line_chart(
        title,
        &day_labels(&t.days),
        &[Series::new("Sentiment", values)],
        &ChartOptions::default()
            .format(ValueFormat::Decimal(2))
            .range(-1.0, 1.0)
            .y_label("Score (−1 to 1)"),
    )
}

fn funnel(t: &Trends) -> Svg {
    let f = &t.funnel;
    funnel_chart(
        "Funnel: seen, entered, referred",
        &[
            ("Page views".into(), f.views as f64),
            ("Entries".into(), f.entries as f64),
            ("Referral clicks".into(), f.referral_clicks as f64),
            ("Referred entries".into(), f.referred_entries as f64),
        ],
    )
}

pub fn segment_sizes_chart(sizes: &[(String, i64)]) -> Svg {
    let bars: Vec<(String, f64)> = sizes.iter().map(|(n, s)| (n.clone(), *s as f64)).collect();
    if bars.iter().all(|(_, v)| *v == 0.0) {
        return bar_chart("Contacts per segment", &[], &ChartOptions::default());
    }
    bar_chart(
        "Contacts per segment",
        &bars,
        &ChartOptions::default().x_label("Contacts"),
    )
}

struct ContestChoice {
    id: i64,
    title: String,
    selected: bool,
}

struct Total {
    label: &'static str,
    value: i64,
}

#[derive(Template)]
#[template(path = "dashboard/trends.html")]
struct TrendsPage {
    layout: DashboardLayout,
    page_name: String,
    contests: Vec<ContestChoice>,
    contest_title: Option<String>,
    days: i64,
    day_choices: &'static [i64],
    totals: Vec<Total>,
    charts: Vec<Chart>,
    top_terms: Vec<(String, i64)>,
    hashtags: Vec<(String, i64)>,
}

#[derive(Deserialize)]
struct TrendsQuery {
    contest: Option<String>,
    days: Option<i64>,
}

const DAY_CHOICES: &[i64] = &[7, 30, 90];

async fn trends(state: web::Data<AppState>, ctx: Ctx, q: web::Query<TrendsQuery>) -> DashResult {
    let page = ctx.current_page()?.clone();
    let (admin, page_id) = (ctx.admin_id(), page.id);
    let days = q.days.filter(|d| DAY_CHOICES.contains(d)).unwrap_or(30);
    // An empty choice ("All contests") is no filter.
    let contest_id = match q
        .contest
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| AppError::not_found("no such contest"))?,
        ),
        None => None,
    };
    let settings = state.settings.segments.clone();
    let (list, t) = state
        .db
        .transaction(move |c| {
            if let Some(id) = contest_id {
                let found = contests::find_for_admin(c, admin, id)?;
                if found.page_id != page_id {
                    return Err(AppError::not_found("no such contest on this page"));
                }
            }
            segments::ensure_personas(c, page_id, &settings)?;
            let list = contests::list_for_admin(c, admin, Some(page_id))?;
            let t = crate::domain::trends::compute(c, page_id, contest_id, days)?;
            Ok((list, t))
        })
        .await?;
    let total = |name: &str| -> i64 {
        t.series
            .iter()
            .filter(|s| s.name == name)
            .flat_map(|s| s.values.iter())
            .sum()
    };
    let totals = vec![
        Total {
            label: "Page views",
            value: total("views"),
        },
        Total {
            label: "Entries",
            value: total("entries"),
        },
        Total {
            label: "Votes",
            value: total("votes"),
        },
        Total {
            label: "Referral clicks",
            value: total("referrals"),
        },
        Total {
            label: "Comments",
            value: total("comments"),
        },
    ];
    let sizes: Vec<(String, i64)> = t
        .segments
        .iter()
        .map(|s| (s.name.clone(), s.size))
        .collect();
    let charts = vec![
        Chart {
            heading: "Daily activity".into(),
            svg: activity_chart(&t, &format!("Daily activity, last {days} days")),
        },
        Chart {
            heading: "Sentiment over time".into(),
            svg: sentiment_chart(&t),
        },
        Chart {
            heading: "Funnel".into(),
            svg: funnel(&t),
        },
        Chart {
            heading: "Segment sizes".into(),
            svg: segment_sizes_chart(&sizes),
        },
    ];
    let contest_title =
        contest_id.and_then(|id| list.iter().find(|c| c.id == id).map(|c| c.title.clone()));
    ctx.render(&TrendsPage {
        layout: ctx.layout("Trends", Section::Trends),
        page_name: page.name.clone(),
        contests: list
            .iter()
            .map(|c| ContestChoice {
                id: c.id,
                title: c.title.clone(),
                selected: Some(c.id) == contest_id,
            })
            .collect(),
        contest_title,
        days,
        day_choices: DAY_CHOICES,
        totals,
        charts,
        top_terms: t.top_terms,
        hashtags: t.hashtags,
    })
}

struct SegmentRow {
    id: i64,
    key: String,
    name: String,
    description: String,
    persona: bool,
    size: i64,
    movement: i64,
    movement_text: String,
}

#[derive(Template)]
#[template(path = "dashboard/segments.html")]
struct SegmentsPage {
    layout: DashboardLayout,
    csrf: String,
    page_name: String,
    rows: Vec<SegmentRow>,
    sizes: Svg,
    movement: Svg,
}

/// "+3", "−2" or "no change".
pub fn movement_text(m: i64) -> String {
    match m {
        0 => "no change".into(),
        m if m > 0 => format!("+{m}"),
        m => format!("−{}", -m),
    }
}

async fn segments_page(state: web::Data<AppState>, ctx: Ctx) -> DashResult {
    let page = ctx.current_page()?.clone();
    let page_id = page.id;
    let settings = state.settings.segments.clone();
    let list = state
        .db
        .transaction(move |c| {
            segments::ensure_personas(c, page_id, &settings)?;
            Ok(segments::sizes(c, page_id)?)
        })
        .await?;
    let sizes: Vec<(String, i64)> = list
        .iter()
        .map(|s| (s.segment.name.clone(), s.size))
        .collect();
    // Movement: the daily sizes of every segment over the days any was recorded.
    let mut days: Vec<NaiveDate> = list
        .iter()
        .flat_map(|s| s.history.iter().map(|(d, _)| *d))
        .collect();
    days.sort();
    days.dedup();
    let series: Vec<Series> = list
        .iter()
        .map(|s| {
            Series::new(
                s.segment.name.clone(),
                days.iter()
                    .map(|d| {
                        s.history
                            .iter()
                            .find(|(h, _)| h == d)
                            .map_or(f64::NAN, |(_, n)| f64::from(*n))
                    })
                    .collect(),
            )
        })
        .collect();
    let movement = if days.is_empty() {
        line_chart("Segment sizes by day", &[], &[], &ChartOptions::default())
    } else {
        line_chart(
            "Segment sizes by day",
            &day_labels(&days),
            &series,
            &ChartOptions::default().y_label("Contacts"),
        )
    };
    ctx.render(&SegmentsPage {
        layout: ctx.layout("Segments", Section::Segments),
        csrf: ctx.csrf.clone(),
        page_name: page.name.clone(),
        sizes: segment_sizes_chart(&sizes),
        movement,
        rows: list
            .into_iter()
            .map(|s| SegmentRow {
                movement_text: movement_text(s.movement_7d),
                id: s.segment.id,
                key: s.segment.key,
                name: s.segment.name,
                // Custom segments carry no description: their rule, in words.
                description: if s.segment.kind == "custom" {
                    crate::domain::segment_rules::Rule::parse(&s.segment.rule)
                        .map(|r| r.describe())
                        .unwrap_or_default()
                } else {
                    s.segment.description
                },
                persona: s.segment.kind == "persona",
                size: s.size,
                movement: s.movement_7d,
            })
            .collect(),
    })
}

async fn recompute(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let page_id = ctx.current_page()?.id;
    let settings = state.settings.segments.clone();
    let sizes = state
        .db
        .transaction(move |c| {
            segments::ensure_personas(c, page_id, &settings)?;
            Ok(segments::recompute(c, page_id, &settings)?)
        })
        .await?;
    let total: i64 = sizes.iter().map(|(_, n)| n).sum();
    Ok(see_other(
        &state,
        "/dashboard/segments",
        &[Flash::new(
            FlashKind::Success,
            format!(
                "Segments recomputed: {} segment{}, {total} membership{}.",
                sizes.len(),
                if sizes.len() == 1 { "" } else { "s" },
                if total == 1 { "" } else { "s" }
            ),
        )],
    ))
}
