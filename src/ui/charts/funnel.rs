//! Funnel chart: views → entries → referrals → referred entries, with the
//! conversion from each step to the next.

use std::fmt::Write;

use super::svg::{self, n, SMALL, TEXT, WIDTH as W};
use super::{Svg, ValueFormat, PALETTE};

const BAR: f64 = 32.0;
const GAP: f64 = 28.0;
const PAD: f64 = 8.0;
const MIN_BAR: f64 = 6.0;

/// One centred bar per step, its width proportional to the largest step, joined by
/// connectors that show the percentage carried over from the previous step.
/// Negative or non-finite values count as zero; all zeros is "No data yet".
pub fn funnel_chart(title: &str, steps: &[(String, f64)]) -> Svg {
    let steps: Vec<(&str, f64)> = steps
        .iter()
        .map(|(l, v)| (l.as_str(), if v.is_finite() { v.max(0.0) } else { 0.0 }))
        .collect();
    let max = steps.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    if max <= 0.0 {
        return svg::empty("funnel-chart", title, W, 160.0);
    }
    let label_max = W * 0.34;
    let labels: Vec<String> = steps
        .iter()
        .map(|(l, _)| svg::truncate(l, svg::chars_fitting(label_max, svg::FONT_SIZE)))
        .collect();
    let values: Vec<String> = steps
        .iter()
        .map(|(_, v)| svg::format_value(*v, ValueFormat::Count))
        .collect();
    let label_w = labels
        .iter()
        .map(|l| svg::text_width(l, svg::FONT_SIZE))
        .fold(0.0, f64::max)
        .clamp(60.0, label_max);
    let value_w = values
        .iter()
        .map(|v| svg::text_width(v, svg::FONT_SIZE))
        .fold(0.0, f64::max);
    let (bx0, bx1) = (PAD + label_w + 14.0, W - PAD - value_w - 14.0);
    let cx = (bx0 + bx1) / 2.0;
    // Width grows with the square root of the value: contest funnels lose 90% or
    // more at the first step, and on a linear scale every later step would be the
    // same sliver. Order is preserved and each exact value is printed beside it.
    let width = |v: f64| {
        if v > 0.0 {
            ((bx1 - bx0) * (v / max).sqrt()).max(MIN_BAR)
        } else {
            3.0
        }
    };
    let top = |i: usize| PAD + (BAR + GAP) * i as f64;
    let h = top(steps.len()) - GAP + PAD;

    let mut out = String::new();
    svg::open(
        &mut out,
        "funnel-chart",
        &svg::chart_id("funnel", title, &format!("{steps:?}")),
        W,
        h,
        title,
        &describe(&steps, &values),
    );
    let last = steps.len().saturating_sub(1).max(1) as f64;
    for (i, (&(full_label, v), (label, value))) in
        steps.iter().zip(labels.iter().zip(&values)).enumerate()
    {
        let (y, w) = (top(i), width(v));
        if let Some(&(_, next)) = steps.get(i + 1) {
            let (ny, nw) = (top(i + 1), width(next));
            let _ = write!(
                out,
                r##"<polygon points="{},{} {},{} {},{} {},{}" fill="#dbeafe"/>"##,
                n(cx - w / 2.0),
                n(y + BAR),
                n(cx + w / 2.0),
                n(y + BAR),
                n(cx + nw / 2.0),
                n(ny),
                n(cx - nw / 2.0),
                n(ny)
            );
            svg::text(
                &mut out,
                cx,
                y + BAR + GAP / 2.0 + 4.5,
                &format!(
                    r#"text-anchor="middle" fill="{TEXT}" font-size="{SMALL}" font-weight="600""#
                ),
                &format!("↓ {}", conversion(v, next)),
            );
        }
        // Later steps get lighter, but never below 3:1 against white.
        let opacity = 1.0 - 0.35 * i as f64 / last;
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{BAR}" rx="4" fill="{}" fill-opacity="{:.2}"><title>{}</title></rect>"#,
            n(cx - w / 2.0),
            n(y),
            n(w),
            PALETTE[0],
            opacity,
            svg::escape(&format!("{full_label}: {value}"))
        );
        svg::text(
            &mut out,
            PAD + label_w,
            y + BAR / 2.0 + 4.5,
            &format!(r#"text-anchor="end" fill="{TEXT}""#),
            label,
        );
        svg::text(
            &mut out,
            W - PAD,
            y + BAR / 2.0 + 4.5,
            &format!(r#"text-anchor="end" fill="{TEXT}" font-weight="700""#),
            value,
        );
    }
    svg::close(&mut out)
}

/// "42.5%", or "—" when the previous step is zero (no rate to speak of).
fn conversion(from: f64, to: f64) -> String {
    if from <= 0.0 {
        "—".into()
    } else {
        svg::format_value(to / from, ValueFormat::Percent)
    }
}

fn describe(steps: &[(&str, f64)], values: &[String]) -> String {
    let mut d = format!("Funnel with {} steps:", steps.len());
    for (i, ((label, v), value)) in steps.iter().zip(values).enumerate() {
        let _ = write!(d, " {label} {value}");
        if i > 0 {
            let (prev_label, prev) = steps[i - 1];
            let _ = write!(d, " ({} of {prev_label})", conversion(prev, *v));
        }
        d.push(if i + 1 == steps.len() { '.' } else { ';' });
    }
    if let (Some((first_label, first)), Some((last_label, last))) = (steps.first(), steps.last()) {
        if steps.len() > 2 && *first > 0.0 {
            let _ = write!(
                d,
                " Overall, {last_label} is {} of {first_label}.",
                conversion(*first, *last)
            );
        }
    }
    d
}
