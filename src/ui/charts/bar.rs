//! Horizontal bar chart: segment sizes and other labelled quantities. Horizontal so
//! long, user-chosen labels stay readable on a phone; the height grows with the
//! number of bars.

use std::fmt::Write;

use super::line::axis_titles;
use super::scale::{extent, nice_ticks, Linear};
use super::svg::{self, n, AXIS, GRID, MUTED, SMALL, TEXT, WIDTH as W};
use super::{ChartOptions, Svg, ValueFormat, PALETTE};

const ROW: f64 = 32.0;
const BAR: f64 = 20.0;
/// Share of the width the category labels may take; longer ones are shortened
/// (the full label stays in the tooltip and the description).
const LABEL_SHARE: f64 = 0.36;

/// One bar per `(label, value)`, in the given order. Negative values extend left of
/// the zero line in a second colour.
pub fn bar_chart(title: &str, bars: &[(String, f64)], opts: &ChartOptions) -> Svg {
    let bars: Vec<(&str, f64)> = bars
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(l, v)| (l.as_str(), *v))
        .collect();
    let Some((lo, hi)) = extent(bars.iter().map(|(_, v)| v)) else {
        return svg::empty("bar-chart", title, W, 160.0);
    };
    let (lo, hi) = match opts.range {
        Some((a, b)) => (lo.min(a), hi.max(b)),
        None => (lo, hi),
    };
    let integer = opts.format == ValueFormat::Count;
    let labels: Vec<String> = bars
        .iter()
        .map(|(l, _)| svg::truncate(l, svg::chars_fitting(W * LABEL_SHARE, svg::FONT_SIZE)))
        .collect();
    let values: Vec<String> = bars
        .iter()
        .map(|(_, v)| svg::format_value(*v, opts.format))
        .collect();

    let label_w = labels
        .iter()
        .map(|l| svg::text_width(l, svg::FONT_SIZE))
        .fold(0.0, f64::max)
        .clamp(40.0, W * LABEL_SHARE);
    let value_w = values
        .iter()
        .map(|v| svg::text_width(v, SMALL))
        .fold(0.0, f64::max);
    let left = label_w + 16.0 + if opts.y_label.is_some() { 22.0 } else { 0.0 };
    let right = value_w + 16.0;
    let top = 10.0;
    let bottom = 28.0 + if opts.x_label.is_some() { 22.0 } else { 0.0 };
    let h = top + ROW * bars.len() as f64 + bottom;
    let (x0, x1, y0, y1) = (left, W - right, top, h - bottom);
    // As many value ticks as fit side by side: estimate with the widest label of a
    // first guess, then settle on the count that fits.
    let tick_w = |ticks: &[f64]| {
        ticks
            .iter()
            .map(|t| svg::text_width(&svg::format_tick(*t, opts.format), SMALL))
            .fold(0.0, f64::max)
            + 16.0
    };
    let guess = nice_ticks(lo, hi, 5, integer);
    let fit = ((x1 - x0) / tick_w(&guess)).floor().clamp(2.0, 5.0) as usize;
    let ticks = nice_ticks(lo, hi, fit, integer);
    let x = Linear::new((ticks[0], ticks[ticks.len() - 1]), (x0, x1));

    let mut out = String::new();
    let desc = describe(&bars, &values);
    svg::open(
        &mut out,
        "bar-chart",
        &svg::chart_id("bar", title, &format!("{bars:?}")),
        W,
        h,
        title,
        &desc,
    );
    for t in &ticks {
        let tx = n(x.map(*t));
        let _ = write!(
            out,
            r#"<line x1="{tx}" x2="{tx}" y1="{}" y2="{}" stroke="{GRID}"/>"#,
            n(y0),
            n(y1)
        );
        svg::text(
            &mut out,
            x.map(*t),
            y1 + 18.0,
            &format!(r#"text-anchor="middle" fill="{MUTED}" font-size="{SMALL}""#),
            &svg::format_tick(*t, opts.format),
        );
    }
    let zero = x.map(0.0);
    for (i, ((&(full_label, v), label), value)) in bars.iter().zip(&labels).zip(&values).enumerate()
    {
        let cy = y0 + ROW * i as f64 + ROW / 2.0;
        let (bx, bw) = if v >= 0.0 {
            (zero, x.map(v) - zero)
        } else {
            (x.map(v), zero - x.map(v))
        };
        // A zero-sized bar is still a visible stub, so "0" is not mistaken for missing.
        let bw = bw.max(2.0);
        let color = if v >= 0.0 { PALETTE[0] } else { PALETTE[3] };
        svg::text(
            &mut out,
            x0 - 10.0,
            cy + 4.5,
            &format!(r#"text-anchor="end" fill="{TEXT}""#),
            label,
        );
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{BAR}" rx="3" fill="{color}"><title>{}</title></rect>"#,
            n(bx),
            n(cy - BAR / 2.0),
            n(bw),
            svg::escape(&format!("{full_label}: {value}"))
        );
        let (vx, anchor) = if v >= 0.0 {
            (bx + bw + 6.0, "start")
        } else {
            (bx - 6.0, "end")
        };
        svg::text(
            &mut out,
            vx,
            cy + 4.5,
            &format!(
                r#"text-anchor="{anchor}" fill="{TEXT}" font-size="{SMALL}" font-weight="600""#
            ),
            value,
        );
    }
    let _ = write!(
        out,
        r#"<line class="zero-line" x1="{z}" x2="{z}" y1="{}" y2="{}" stroke="{AXIS}" stroke-width="1.5"/>"#,
        n(y0 - 4.0),
        n(y1),
        z = n(zero)
    );
    // The value axis title sits under the tick labels, as in the line chart.
    axis_titles(&mut out, opts, (x0, x1, y0, y1 - 2.0));
    svg::close(&mut out)
}

fn describe(bars: &[(&str, f64)], values: &[String]) -> String {
    let mut d = format!("Bar chart with {} bar", bars.len());
    if bars.len() != 1 {
        d.push('s');
    }
    let listed: Vec<String> = bars
        .iter()
        .zip(values)
        .map(|((l, _), v)| format!("{l} {v}"))
        .collect();
    let _ = write!(d, ": {}.", listed.join(", "));
    d
}
