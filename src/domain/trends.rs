//! Trends per page or contest: daily series (views, entries, votes, referrals,
//! comments, reach), sentiment over time, top terms and hashtags, segment movement,
//! and the funnel views → form starts → entries → referral clicks → referred entries.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Utc};
use diesel::pg::PgConnection;
use serde::Serialize;

use crate::db::{segments, trends as q};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Series {
    pub name: &'static str,
    pub values: Vec<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Funnel {
    pub views: i64,
    /// Fans who began the entry form (`domain::form_start`).
    pub form_starts: i64,
    pub entries: i64,
    pub referral_clicks: i64,
    pub referred_entries: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentMovement {
    pub key: String,
    pub name: String,
    pub size: i64,
    pub movement_7d: i64,
    pub history: Vec<(NaiveDate, i32)>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Trends {
    pub days: Vec<NaiveDate>,
    pub series: Vec<Series>,
    /// Mean compound sentiment per day (None on days without scored text).
    pub sentiment: Vec<Option<f64>>,
    pub top_terms: Vec<(String, i64)>,
    pub hashtags: Vec<(String, i64)>,
    pub segments: Vec<SegmentMovement>,
    pub funnel: Funnel,
}

/// Which rollup kinds feed which series.
const SERIES: &[(&str, &[&str])] = &[
    ("views", &["page_view"]),
    ("entries", &["entry"]),
    ("votes", &["vote_cast"]),
    ("referrals", &["referral_click"]),
    ("comments", &["comment"]),
];

pub fn compute(
    conn: &mut PgConnection,
    page_id: i64,
    contest_id: Option<i64>,
    days: i64,
) -> diesel::QueryResult<Trends> {
    let days = days.clamp(1, 365);
    let today = Utc::now().date_naive();
    let from = today - Duration::days(days - 1);
    let axis: Vec<NaiveDate> = (0..days).map(|i| from + Duration::days(i)).collect();
    let index: BTreeMap<NaiveDate, usize> = axis.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let rows = q::daily(conn, page_id, contest_id, from)?;
    let mut series: Vec<Series> = SERIES
        .iter()
        .map(|(name, _)| Series {
            name,
            values: vec![0; axis.len()],
        })
        .collect();
    let mut sent_sum = vec![0.0; axis.len()];
    let mut sent_n = vec![0i64; axis.len()];
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        *totals.entry(r.kind.clone()).or_default() += r.n;
        let Some(&i) = index.get(&r.day) else {
            continue;
        };
        for (s, (_, kinds)) in series.iter_mut().zip(SERIES) {
            if kinds.contains(&r.kind.as_str()) {
                s.values[i] += r.n;
            }
        }
        sent_sum[i] += r.sentiment_sum;
        sent_n[i] += r.sentiment_count;
    }
    let mut reach = Series {
        name: "reach",
        values: vec![0; axis.len()],
    };
    for r in q::daily_reach(conn, page_id, contest_id, from)? {
        if let Some(&i) = index.get(&r.day) {
            reach.values[i] = r.value;
        }
    }
    series.push(reach);
    let sentiment = sent_sum
        .iter()
        .zip(&sent_n)
        .map(|(s, n)| (*n > 0).then(|| s / *n as f64))
        .collect();
    let texts = q::recent_texts(conn, page_id, contest_id, from)?;
    let (top_terms, hashtags) = crate::domain::terms::top_terms(
        texts.iter().map(|t| (t.text.as_str(), t.locale.as_deref())),
        15,
    );
    let segments = segments::sizes(conn, page_id)?
        .into_iter()
        .map(|s| SegmentMovement {
            key: s.segment.key,
            name: s.segment.name,
            size: s.size,
            movement_7d: s.movement_7d,
            history: s.history,
        })
        .collect();
    let total = |k: &str| totals.get(k).copied().unwrap_or(0);
    Ok(Trends {
        days: axis,
        series,
        sentiment,
        top_terms,
        hashtags,
        segments,
        funnel: Funnel {
            views: total("page_view"),
            form_starts: total("form_start"),
            entries: total("entry"),
            referral_clicks: total("referral_click"),
            referred_entries: total("referral_conversion"),
        },
    })
}
