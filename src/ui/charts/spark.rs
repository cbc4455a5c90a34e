//! Sparkline: a tiny trend line for stat tiles. No axes; the accessible name says
//! where the trend started and ended.

use std::fmt::Write;

use super::scale::{extent, Linear};
use super::svg::{self, n};
use super::{Svg, ValueFormat, PALETTE};

const W: f64 = 120.0;
const H: f64 = 32.0;
/// Keeps the stroke inside the box at the extremes.
const INSET: f64 = 3.0;

/// A trend line stretched to its container's width (32 units tall). Gaps (NaN)
/// are skipped; fewer than two finite values draw a flat line.
pub fn sparkline(values: &[f64]) -> Svg {
    let finite: Vec<(usize, f64)> = values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .collect();
    let label = summary(values);
    let mut out = String::new();
    // Stretched horizontally (preserveAspectRatio="none"); non-scaling strokes keep
    // the line weight even.
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" viewBox="0 0 {W} {H}" width="100%" height="{H}" preserveAspectRatio="none" role="img" aria-label="{}"><title>{}</title>"#,
        svg::escape(&label),
        svg::escape(&label),
    );
    let color = PALETTE[0];
    match extent(finite.iter().map(|(_, v)| v)) {
        Some((lo, hi)) if finite.len() >= 2 => {
            let y = if (hi - lo).abs() < f64::EPSILON {
                Linear::new((lo - 1.0, hi + 1.0), (H - INSET, INSET))
            } else {
                Linear::new((lo, hi), (H - INSET, INSET))
            };
            let last = values.len().saturating_sub(1).max(1) as f64;
            let x = |i: usize| INSET + (W - 2.0 * INSET) * i as f64 / last;
            let points: Vec<String> = finite
                .iter()
                .map(|(i, v)| format!("{},{}", n(x(*i)), n(y.map(*v))))
                .collect();
            let (first_x, last_x) = (x(finite[0].0), x(finite[finite.len() - 1].0));
            let _ = write!(
                out,
                r#"<polygon points="{},{H} {} {},{H}" fill="{color}" fill-opacity="0.12"/><polyline points="{}" fill="none" stroke="{color}" stroke-width="2" stroke-linejoin="round" vector-effect="non-scaling-stroke"/>"#,
                n(first_x),
                points.join(" "),
                n(last_x),
                points.join(" "),
            );
        }
        _ => {
            let _ = write!(
                out,
                r##"<line x1="{INSET}" x2="{}" y1="{mid}" y2="{mid}" stroke="#9ca3af" stroke-width="2" stroke-dasharray="4 4" vector-effect="non-scaling-stroke"/>"##,
                n(W - INSET),
                mid = n(H / 2.0),
            );
        }
    }
    out.push_str("</svg>");
    Svg(out)
}

fn summary(values: &[f64]) -> String {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let f = |v: f64| svg::format_value(v, ValueFormat::Decimal(2));
    match (finite.first(), finite.last(), extent(&finite)) {
        (Some(first), Some(last), Some((lo, hi))) if finite.len() >= 2 => format!(
            "Trend over {} points: from {} to {}, lowest {}, highest {}",
            values.len(),
            f(*first),
            f(*last),
            f(lo),
            f(hi)
        ),
        (Some(only), _, _) => format!("Trend: a single value, {}", f(*only)),
        _ => "Trend: no data yet".into(),
    }
}
