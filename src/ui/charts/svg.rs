//! SVG writing shared by the charts: escaping, number formatting, the frame with
//! its accessible name and description, and the "No data yet" state.

use std::fmt::Write;

use super::{Svg, ValueFormat};

pub(super) const FONT: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
/// Labels: gray-700, 10.3:1 on white.
pub(super) const TEXT: &str = "#374151";
/// Secondary labels (ticks, notes): gray-600, 7.6:1 on white.
pub(super) const MUTED: &str = "#4b5563";
/// Grid lines are decoration; they only need to be visible, not to contrast.
pub(super) const GRID: &str = "#e5e7eb";
/// The zero line and axes: gray-500, 4.8:1 (meaningful lines need 3:1).
pub(super) const AXIS: &str = "#6b7280";
/// Width of every chart's viewBox. Charts scale to their container, so text
/// shrinks with it: 400 units keeps 14-unit labels at about 11 px on a phone card
/// (~320 px) and about 15 px in a half-width desktop card.
pub(super) const WIDTH: f64 = 400.0;
pub(super) const FONT_SIZE: f64 = 14.0;
/// Ticks, legends and notes.
pub(super) const SMALL: f64 = 13.0;

/// Escapes text for XML content and attribute values alike. Characters that XML
/// 1.0 cannot carry at all (most C0 controls) become U+FFFD, so a label pasted
/// with a stray control character cannot make the document ill-formed.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Shortens a label to `max` characters (not bytes), ending with "…".
pub fn truncate(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.truncate(t.trim_end().len());
    t.push('…');
    t
}

/// How many characters of text fit in `width` units at `size`.
pub fn chars_fitting(width: f64, size: f64) -> usize {
    (width / (size * 0.58)).floor().max(2.0) as usize
}

/// Rough rendered width of `s` at `size` px in a proportional sans-serif font,
/// enough to keep labels inside the viewBox.
pub fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.58
}

/// A value as written in labels and in the text alternative, e.g. "1,234",
/// "−0.35", "12.5%".
pub fn format_value(v: f64, format: ValueFormat) -> String {
    match format {
        ValueFormat::Count => with_sign(v, |a| group_thousands(a.round() as u64)),
        ValueFormat::Decimal(d) => with_sign(v, |a| trim_zeros(format!("{:.*}", d as usize, a))),
        ValueFormat::Percent => with_sign(v, |a| trim_zeros(format!("{:.1}", a * 100.0)) + "%"),
    }
}

/// A value on an axis: like [`format_value`] but compact for large counts ("12k").
pub fn format_tick(v: f64, format: ValueFormat) -> String {
    match format {
        ValueFormat::Count if v.abs() >= 1_000_000.0 => {
            with_sign(v, |a| trim_zeros(format!("{:.1}", a / 1_000_000.0)) + "M")
        }
        ValueFormat::Count if v.abs() >= 10_000.0 => {
            with_sign(v, |a| trim_zeros(format!("{:.1}", a / 1_000.0)) + "k")
        }
        // Ticks are round numbers; three decimals show every nice step we make.
        ValueFormat::Decimal(_) => with_sign(v, |a| trim_zeros(format!("{a:.3}"))),
        _ => format_value(v, format),
    }
}

/// Formats |v| and prefixes a real minus sign (U+2212) when negative, so "−0"
/// never appears.
fn with_sign(v: f64, f: impl Fn(f64) -> String) -> String {
    let body = f(v.abs());
    let is_zero = body.chars().all(|c| matches!(c, '0' | '.' | ',' | '%'));
    if v < 0.0 && !is_zero {
        format!("−{body}")
    } else {
        body
    }
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A coordinate with one decimal: precise enough on screen, and keeps output small.
pub fn n(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// A stable id for the `<title>`/`<desc>` references, derived from the content so
/// the output is deterministic; two identical charts on a page share the same text
/// anyway.
pub fn chart_id(kind: &str, title: &str, data: &str) -> String {
    let hash = crate::crypto::sha256_hex(format!("{kind}\u{0}{title}\u{0}{data}").as_bytes());
    format!("chart-{}", &hash[..10])
}

/// Opens the root element with its accessible name and description.
pub fn open(out: &mut String, class: &str, id: &str, w: f64, h: f64, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart {class}" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" font-family="{FONT}" font-size="{size}"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
        w = n(w),
        h = n(h),
        size = n(FONT_SIZE),
        title = escape(title),
        desc = escape(desc),
    );
}

pub fn close(out: &mut String) -> Svg {
    out.push_str("</svg>");
    Svg(std::mem::take(out))
}

/// `<text>` with escaped content. `attrs` is trusted markup written by the caller.
pub fn text(out: &mut String, x: f64, y: f64, attrs: &str, content: &str) {
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" {attrs}>{}</text>"#,
        n(x),
        n(y),
        escape(content)
    );
}

/// The state shown before there is anything to plot: the chart's footprint with a
/// dashed outline and "No data yet", so the page layout does not jump later.
pub fn empty(class: &str, title: &str, w: f64, h: f64) -> Svg {
    let mut out = String::new();
    let id = chart_id(class, title, "empty");
    open(&mut out, class, &id, w, h, title, "No data yet.");
    let _ = write!(
        out,
        r##"<rect x="1" y="1" width="{}" height="{}" rx="8" fill="#f9fafb" stroke="#d1d5db" stroke-dasharray="6 4"/>"##,
        n(w - 2.0),
        n(h - 2.0)
    );
    text(
        &mut out,
        w / 2.0,
        h / 2.0 + 5.0,
        &format!(r#"text-anchor="middle" fill="{MUTED}" font-size="15""#),
        "No data yet",
    );
    close(&mut out)
}

/// Picks which of `count` category labels to print so they do not collide: every
/// `stride`-th one, plus the last when it is not crowding the previous one.
pub fn label_indices(count: usize, max_labels: usize) -> Vec<usize> {
    if count == 0 {
        return Vec::new();
    }
    let stride = count.div_ceil(max_labels.max(1)).max(1);
    let mut picked: Vec<usize> = (0..count).step_by(stride).collect();
    let last = count - 1;
    if picked.last() != Some(&last) {
        // Room for one more label when the gap is at least three quarters of a stride.
        if (last - picked.last().copied().unwrap_or(0)) * 4 >= stride * 3 {
            picked.push(last);
        } else if let Some(p) = picked.last_mut() {
            // Too close: the most recent day matters more than the one before it.
            if *p != 0 {
                *p = last;
            }
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_illegal_characters() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\td"), "a\u{FFFD}b\u{FFFD}c\td");
        assert_eq!(escape("émoji 🎉"), "émoji 🎉");
    }

    #[test]
    fn truncates_by_characters() {
        assert_eq!(truncate("Campaigners", 20), "Campaigners");
        assert_eq!(truncate("Très très long libellé", 10), "Très très…");
        assert_eq!(truncate("🎉🎉🎉🎉", 3), "🎉🎉…");
    }

    #[test]
    fn formats_values() {
        assert_eq!(format_value(1234.4, ValueFormat::Count), "1,234");
        assert_eq!(format_value(-1234567.0, ValueFormat::Count), "−1,234,567");
        assert_eq!(format_value(-0.004, ValueFormat::Decimal(2)), "0");
        assert_eq!(format_value(-0.35, ValueFormat::Decimal(2)), "−0.35");
        assert_eq!(format_value(0.125, ValueFormat::Percent), "12.5%");
        assert_eq!(format_tick(25_000.0, ValueFormat::Count), "25k");
        assert_eq!(format_tick(1_500_000.0, ValueFormat::Count), "1.5M");
        assert_eq!(format_tick(-0.5, ValueFormat::Decimal(2)), "−0.5");
    }

    #[test]
    fn label_indices_never_crowd() {
        assert_eq!(label_indices(0, 8), Vec::<usize>::new());
        assert_eq!(label_indices(1, 8), vec![0]);
        assert_eq!(label_indices(5, 8), vec![0, 1, 2, 3, 4]);
        assert_eq!(label_indices(30, 8), vec![0, 4, 8, 12, 16, 20, 24, 29]);
        // 21 days, 7 labels: "Mar 19" and "Mar 21" would touch, so only the last stays.
        assert_eq!(label_indices(21, 7), vec![0, 3, 6, 9, 12, 15, 20]);
        let many = label_indices(365, 8);
        assert!(many.len() <= 9, "{many:?}");
        assert_eq!(many.last(), Some(&364));
    }
}
