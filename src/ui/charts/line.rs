//! Line chart: daily activity, sentiment over time. Handles gaps (NaN), negative
//! values (drawn below an emphasised zero line), a single point and long series.

use std::fmt::Write;

use super::scale::{extent, nice_ticks, Linear};
use super::svg::{self, n, AXIS, GRID, MUTED, SMALL, TEXT, WIDTH as W};
use super::{ChartOptions, Series, Svg, ValueFormat, PALETTE};

const H: f64 = 260.0;
/// Points get hover targets with tooltips up to this many per series.
const MAX_DOTS: usize = 45;
/// Below this spacing (viewBox units) visible dots would merge into a bead chain,
/// so the targets stay invisible and only the line shows.
const MIN_DOT_SPACING: f64 = 16.0;
/// Series longer than this are summarised, not listed, in the text alternative.
const MAX_LISTED: usize = 60;

/// A line chart of `series` over `x_labels` (one value per label).
pub fn line_chart(title: &str, x_labels: &[String], series: &[Series], opts: &ChartOptions) -> Svg {
    let count = series
        .iter()
        .map(|s| s.values.len())
        .chain([x_labels.len()])
        .max()
        .unwrap_or(0);
    let Some((data_lo, data_hi)) = extent(series.iter().flat_map(|s| s.values.iter())) else {
        return svg::empty("line-chart", title, W, H);
    };
    let (lo, hi) = match opts.range {
        Some((a, b)) => (data_lo.min(a), data_hi.max(b)),
        None => (data_lo, data_hi),
    };
    let ticks = nice_ticks(lo, hi, 5, opts.format == ValueFormat::Count);
    let label = |i: usize| x_labels.get(i).map(String::as_str).unwrap_or("");
    let value = |s: &Series, i: usize| s.values.get(i).copied().filter(|v| v.is_finite());

    let mut out = String::new();
    let desc = describe(series, count, &label, opts.format);
    let data_key = format!("{x_labels:?}{series:?}");
    svg::open(
        &mut out,
        "line-chart",
        &svg::chart_id("line", title, &data_key),
        W,
        H,
        title,
        &desc,
    );

    // Legend rows on top, wrapped to the width.
    let legend_bottom = legend(&mut out, series);
    let tick_labels: Vec<String> = ticks
        .iter()
        .map(|t| svg::format_tick(*t, opts.format))
        .collect();
    let widest = tick_labels
        .iter()
        .map(|t| svg::text_width(t, SMALL))
        .fold(0.0, f64::max);
    // Category labels are centred on their points: the margins leave room for half
    // of the first and last one, so neither has to be shifted into a neighbour.
    let shown: Vec<String> = (0..count).map(|i| svg::truncate(label(i), 12)).collect();
    let widest_x = shown
        .iter()
        .map(|t| svg::text_width(t, SMALL))
        .fold(0.0, f64::max);
    let left = (widest + 12.0).max(widest_x / 2.0 + 4.0).max(36.0)
        + if opts.y_label.is_some() { 22.0 } else { 0.0 };
    let right = (widest_x / 2.0 + 4.0).max(16.0);
    let top = legend_bottom + 10.0;
    let bottom = 30.0 + if opts.x_label.is_some() { 20.0 } else { 0.0 };
    let (x0, x1, y0, y1) = (left, W - right, top, H - bottom);

    let y = Linear::new((ticks[0], ticks[ticks.len() - 1]), (y1, y0));
    let x = |i: usize| {
        if count <= 1 {
            (x0 + x1) / 2.0
        } else {
            x0 + (x1 - x0) * i as f64 / (count - 1) as f64
        }
    };

    // Grid and value axis.
    for (t, text) in ticks.iter().zip(&tick_labels) {
        let ty = y.map(*t);
        let _ = write!(
            out,
            r#"<line x1="{}" x2="{}" y1="{ty}" y2="{ty}" stroke="{GRID}"/>"#,
            n(x0),
            n(x1),
            ty = n(ty)
        );
        svg::text(
            &mut out,
            x0 - 8.0,
            ty + 4.0,
            &format!(r#"text-anchor="end" fill="{MUTED}" font-size="{SMALL}""#),
            text,
        );
    }
    let zero = y.map(0.0);
    let _ = write!(
        out,
        r#"<line class="zero-line" x1="{}" x2="{}" y1="{z}" y2="{z}" stroke="{AXIS}" stroke-width="1.5"/>"#,
        n(x0),
        n(x1),
        z = n(zero)
    );

    // Category labels, thinned so they never overlap.
    // One label per slot wide enough for the widest label plus a gap.
    let max_labels = ((x1 - x0) / (widest_x + 14.0)).floor().max(1.0) as usize;
    for i in svg::label_indices(count, max_labels) {
        let text = &shown[i];
        svg::text(
            &mut out,
            x(i),
            y1 + 20.0,
            &format!(r#"text-anchor="middle" fill="{MUTED}" font-size="{SMALL}""#),
            text,
        );
    }
    axis_titles(&mut out, opts, (x0, x1, y0, y1));

    // Series: a soft area under a lone series, then lines, then dots on top.
    for (si, s) in series.iter().enumerate() {
        let color = PALETTE[si % PALETTE.len()];
        let runs = runs(count, |i| value(s, i));
        if series.len() == 1 {
            for run in &runs {
                let mut d = format!("M{} {}", n(x(run[0])), n(zero));
                for &i in run {
                    let _ = write!(d, "L{} {}", n(x(i)), n(y.map(value(s, i).unwrap_or(0.0))));
                }
                let _ = write!(d, "L{} {}Z", n(x(run[run.len() - 1])), n(zero));
                let _ = write!(out, r#"<path d="{d}" fill="{color}" fill-opacity="0.1"/>"#);
            }
        }
        for run in runs.iter().filter(|r| r.len() > 1) {
            let mut d = String::new();
            for (k, &i) in run.iter().enumerate() {
                let cmd = if k == 0 { 'M' } else { 'L' };
                let _ = write!(
                    d,
                    "{cmd}{} {}",
                    n(x(i)),
                    n(y.map(value(s, i).unwrap_or(0.0)))
                );
            }
            let _ = write!(
                out,
                r#"<path d="{d}" fill="none" stroke="{color}" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>"#
            );
        }
        let lone = |i: usize| runs.iter().any(|r| r.len() == 1 && r[0] == i);
        let spacing = if count > 1 {
            (x1 - x0) / (count - 1) as f64
        } else {
            W
        };
        // An isolated point has no line, so it is always visible.
        let dot_for = |i: usize| {
            if spacing >= MIN_DOT_SPACING || lone(i) {
                format!(r##"r="3.5" fill="{color}" stroke="#fff" stroke-width="1.5""##)
            } else {
                // Transparent still counts as painted, so the tooltip works on hover.
                r#"r="5" fill="transparent""#.to_string()
            }
        };
        for i in 0..count {
            let Some(v) = value(s, i) else { continue };
            if count > MAX_DOTS && !lone(i) {
                continue;
            }
            let dot = dot_for(i);
            let tip = format!(
                "{} · {}: {}",
                s.name,
                label(i),
                svg::format_value(v, opts.format)
            );
            let _ = write!(
                out,
                r##"<circle cx="{}" cy="{}" {dot}><title>{}</title></circle>"##,
                n(x(i)),
                n(y.map(v)),
                svg::escape(&tip)
            );
            if count == 1 {
                svg::text(
                    &mut out,
                    x(i) + 8.0,
                    y.map(v) - 8.0,
                    &format!(r#"fill="{TEXT}" font-weight="600""#),
                    &svg::format_value(v, opts.format),
                );
            }
        }
    }
    svg::close(&mut out)
}

/// Index runs of consecutive finite values: each run is drawn as one path, so a
/// missing day is a visible gap instead of a misleading straight line.
fn runs(count: usize, value: impl Fn(usize) -> Option<f64>) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current = Vec::new();
    for i in 0..count {
        if value(i).is_some() {
            current.push(i);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Draws the legend from the top-left, wrapping rows; returns its bottom edge.
fn legend(out: &mut String, series: &[Series]) -> f64 {
    let named: Vec<(usize, String)> = series
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.name.trim().is_empty())
        .map(|(i, s)| (i, svg::truncate(&s.name, 28)))
        .collect();
    if named.is_empty() {
        return 4.0;
    }
    let (mut lx, mut ly) = (8.0, 18.0);
    for (i, name) in named {
        let w = 22.0 + svg::text_width(&name, SMALL) + 18.0;
        if lx + w > W && lx > 8.0 {
            lx = 8.0;
            ly += 20.0;
        }
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="16" height="4" rx="2" fill="{}"/>"#,
            n(lx),
            n(ly - 6.0),
            PALETTE[i % PALETTE.len()]
        );
        svg::text(
            out,
            lx + 22.0,
            ly,
            &format!(r#"fill="{TEXT}" font-size="{SMALL}""#),
            &name,
        );
        lx += w;
    }
    ly + 8.0
}

/// Axis titles: the value axis rotated along the left edge, the category axis
/// centred below the labels.
pub(super) fn axis_titles(out: &mut String, opts: &ChartOptions, plot: (f64, f64, f64, f64)) {
    let (x0, x1, y0, y1) = plot;
    if let Some(t) = &opts.y_label {
        let cy = (y0 + y1) / 2.0;
        svg::text(
            out,
            14.0,
            cy,
            &format!(
                r#"text-anchor="middle" fill="{TEXT}" font-size="{SMALL}" transform="rotate(-90 14 {})""#,
                n(cy)
            ),
            &svg::truncate(t, 40),
        );
    }
    if let Some(t) = &opts.x_label {
        svg::text(
            out,
            (x0 + x1) / 2.0,
            y1 + 42.0,
            &format!(r#"text-anchor="middle" fill="{TEXT}" font-size="{SMALL}""#),
            &svg::truncate(t, 60),
        );
    }
}

/// The text alternative: size, range and, for short series, every value.
fn describe<'a>(
    series: &[Series],
    count: usize,
    label: &dyn Fn(usize) -> &'a str,
    format: ValueFormat,
) -> String {
    let mut d = format!("Line chart with {count} point");
    if count != 1 {
        d.push('s');
    }
    if count > 0 {
        let _ = write!(d, ", from {} to {}", label(0), label(count - 1));
    }
    d.push('.');
    for s in series {
        let Some((lo, hi)) = extent(&s.values) else {
            let _ = write!(d, " {}: no data.", s.name);
            continue;
        };
        let latest = s.values.iter().rev().find(|v| v.is_finite()).copied();
        let _ = write!(
            d,
            " {}: lowest {}, highest {}, latest {}.",
            s.name,
            svg::format_value(lo, format),
            svg::format_value(hi, format),
            latest.map_or("none".into(), |v| svg::format_value(v, format))
        );
        if count <= MAX_LISTED {
            let listed: Vec<String> = (0..count)
                .map(|i| {
                    let v = s.values.get(i).copied().filter(|v| v.is_finite());
                    let v = v.map_or("no data".into(), |v| svg::format_value(v, format));
                    format!("{} {v}", label(i))
                })
                .collect();
            let _ = write!(d, " Values: {}.", listed.join(", "));
        }
    }
    d
}
