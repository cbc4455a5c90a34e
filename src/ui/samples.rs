//! Realistic, deterministic sample data: shown on the styleguide page and written
//! to target/chart-samples/ by the chart tests, so the look can be reviewed.

use super::charts::{
    bar_chart, funnel_chart, line_chart, sparkline, ChartOptions, Series, Svg, ValueFormat,
};

pub struct ChartSample {
    pub file_name: &'static str,
    pub heading: &'static str,
    pub svg: Svg,
}

/// Thirty days of labels, "Mar 1" … "Mar 30".
pub fn days(count: usize) -> Vec<String> {
    (1..=count).map(|d| format!("Mar {d}")).collect()
}

/// A smooth, weekly-rhythm series without a random number generator.
fn wave(count: usize, base: f64, amplitude: f64, phase: f64) -> Vec<f64> {
    (0..count)
        .map(|i| {
            let t = i as f64;
            let weekly = (t * std::f64::consts::TAU / 7.0 + phase).sin();
            let growth = t / count as f64;
            (base * (1.0 + growth) + amplitude * weekly)
                .max(0.0)
                .round()
        })
        .collect()
}

pub fn daily_activity() -> Svg {
    line_chart(
        "Daily activity, last 30 days",
        &days(30),
        &[
            Series::new("Entries", wave(30, 40.0, 14.0, 0.0)),
            Series::new("Comments", wave(30, 22.0, 9.0, 1.3)),
            Series::new("Shares", wave(30, 8.0, 4.0, 2.1)),
        ],
        &ChartOptions::default().y_label("Per day"),
    )
}

pub fn sentiment() -> Svg {
    let values: Vec<f64> = (0..21)
        .map(|i| {
            let t = i as f64;
            ((t / 3.0).sin() * 0.55 + (t / 7.0) * 0.12 - 0.2).clamp(-1.0, 1.0)
        })
        .collect();
    line_chart(
        "Average comment sentiment",
        &days(21),
        &[Series::new("Sentiment", values)],
        &ChartOptions::default()
            .format(ValueFormat::Decimal(2))
            .range(-1.0, 1.0)
            .y_label("Score (−1 to 1)"),
    )
}

pub fn segments() -> Svg {
    bar_chart(
        "Contacts per segment",
        &[
            ("Campaigners".into(), 182.0),
            ("Assistants".into(), 645.0),
            ("Side-liners".into(), 2173.0),
            ("Shirt designers who shared twice".into(), 58.0),
            ("Unsubscribed".into(), 0.0),
        ],
        &ChartOptions::default().x_label("Contacts"),
    )
}

pub fn funnel() -> Svg {
    funnel_chart(
        "Contest funnel",
        &[
            ("Views".into(), 12_480.0),
            ("Entries".into(), 1_536.0),
            ("Referrals".into(), 412.0),
            ("Referred entries".into(), 97.0),
        ],
    )
}

pub fn spark() -> Svg {
    sparkline(&wave(14, 30.0, 8.0, 0.4))
}

pub fn charts() -> Vec<ChartSample> {
    vec![
        ChartSample {
            file_name: "line-daily-activity",
            heading: "Daily activity",
            svg: daily_activity(),
        },
        ChartSample {
            file_name: "line-sentiment",
            heading: "Sentiment over time",
            svg: sentiment(),
        },
        ChartSample {
            file_name: "bar-segments",
            heading: "Segment sizes",
            svg: segments(),
        },
        ChartSample {
            file_name: "funnel",
            heading: "Funnel",
            svg: funnel(),
        },
        ChartSample {
            file_name: "sparkline",
            heading: "Sparkline",
            svg: spark(),
        },
        ChartSample {
            file_name: "line-empty",
            heading: "Empty state",
            svg: line_chart("Daily activity", &[], &[], &ChartOptions::default()),
        },
    ]
}
