//! Server-rendered SVG charts: readable without JavaScript, accessible, and safe
//! with user-supplied labels.
//!
//! Every chart is an `<svg role="img">` with a fixed `viewBox` and `width="100%"`,
//! so it scales down on phones. Its `<title>` names it and its `<desc>` summarises
//! the data (and lists it, for short series), which is what a screen reader reads.
//! Data points carry `<title>` tooltips for mouse users. Colours are set with
//! presentation attributes, never `style=""`, so the strict CSP (`style-src 'self'`)
//! does not strip them. Every piece of text goes through [`svg::escape`].
//!
//! In a template: `{{ chart|safe }}` (an [`Svg`] is escaped by construction).

mod bar;
mod funnel;
mod line;
mod scale;
mod spark;
mod svg;
#[cfg(test)]
mod tests;

use std::fmt;

pub use bar::bar_chart;
pub use funnel::funnel_chart;
pub use line::line_chart;
pub use scale::nice_ticks;
pub use spark::sparkline;

/// Series colours, in order. Each has at least 4.5:1 contrast on white, so it
/// works for lines, bars and coloured text alike; neighbours differ in hue and
/// lightness so they stay apart for the common colour-vision deficiencies.
pub const PALETTE: [&str; 6] = [
    "#1d4ed8", // blue
    "#b45309", // amber
    "#047857", // green
    "#be123c", // rose
    "#6d28d9", // violet
    "#0e7490", // cyan
];

/// One line of a [`line_chart`]: a name for the legend and one value per x label.
/// Non-finite values (`f64::NAN`) are gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

impl Series {
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Series {
        Series {
            name: name.into(),
            values,
        }
    }
}

/// How values are printed on axes, labels and in the text alternative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueFormat {
    /// Whole numbers with thousands separators; ticks never fall between integers.
    #[default]
    Count,
    /// Up to this many decimals (sentiment scores, averages).
    Decimal(u8),
    /// A fraction shown as a percentage: 0.25 is "25%".
    Percent,
}

/// Options for [`line_chart`] and [`bar_chart`]. `Default` suits daily counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartOptions {
    /// Title of the value axis (e.g. "Entries per day").
    pub y_label: Option<String>,
    /// Title of the category axis (e.g. "Day").
    pub x_label: Option<String>,
    pub format: ValueFormat,
    /// Fixed value range, e.g. `Some((-1.0, 1.0))` for sentiment. Data outside it
    /// widens it. Without it the range is the data's, always including zero.
    pub range: Option<(f64, f64)>,
}

impl ChartOptions {
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = Some(label.into());
        self
    }
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = Some(label.into());
        self
    }
    pub fn format(mut self, format: ValueFormat) -> Self {
        self.format = format;
        self
    }
    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.range = Some((min, max));
        self
    }
}

/// Rendered SVG markup. Only this module creates it, always with escaped text,
/// which is why it may be marked HTML-safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Svg(String);

impl Svg {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Svg {}
