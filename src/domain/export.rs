//! Contact exports (CSV and NDJSON) with their metrics and segments.
//!
//! Demographics (name, email, postal code, country, locale, age range) are only
//! written for contacts whose latest marketing consent is granted; everyone else is
//! exported pseudonymously (id, source, dates, metrics, segments). Rows are
//! produced in chunks with keyset pagination, so memory stays flat for any size.

use serde_json::{json, Value};

use crate::db::crm::ContactRow;

pub const CSV_HEADER: &[&str] = &[
    "contact_id",
    "name",
    "email",
    "postal_code",
    "country",
    "locale",
    "age_min",
    "age_max",
    "first_source",
    "first_seen_at",
    "last_seen_at",
    "marketing_opt_in",
    "entries",
    "votes_cast",
    "votes_received",
    "referral_clicks",
    "referral_conversions",
    "shares",
    "comments",
    "reactions",
    "mentions",
    "page_views",
    "points",
    "sentiment",
    "advocacy",
    "reach",
    "segments",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
    pub fn content_type(&self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson",
        }
    }
}

fn personal<T: Clone>(r: &ContactRow, v: &Option<T>) -> Option<T> {
    if r.marketing_opt_in {
        v.clone()
    } else {
        None
    }
}

fn fields(r: &ContactRow) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    vec![
        r.id.to_string(),
        opt(personal(r, &r.display_name)),
        opt(personal(r, &r.email)),
        opt(personal(r, &r.postal_code)),
        opt(personal(r, &r.country)),
        opt(personal(r, &r.locale)),
        personal(r, &r.age_min)
            .map(|v| v.to_string())
            .unwrap_or_default(),
        personal(r, &r.age_max)
            .map(|v| v.to_string())
            .unwrap_or_default(),
        r.first_source.clone(),
        r.first_seen_at.to_rfc3339(),
        r.last_seen_at.to_rfc3339(),
        r.marketing_opt_in.to_string(),
        r.entries.to_string(),
        r.votes_cast.to_string(),
        r.votes_received.to_string(),
        r.referral_clicks.to_string(),
        r.referral_conversions.to_string(),
        r.shares.to_string(),
        r.comments.to_string(),
        r.reactions.to_string(),
        r.mentions.to_string(),
        r.page_views.to_string(),
        r.points.to_string(),
        r.sentiment.map(|s| format!("{s:.4}")).unwrap_or_default(),
        format!("{:.2}", r.advocacy),
        r.reach.to_string(),
        r.segments.clone().unwrap_or_default(),
    ]
}

/// A text cell made safe for spreadsheets: a cell starting with `=`, `+`, `-`,
/// `@`, tab or carriage return would be read as a formula by Excel, LibreOffice
/// and Google Sheets (CSV injection), so it gets a leading single quote, which
/// they show as text. Only for text columns: numbers keep their sign.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Columns of [`CSV_HEADER`] holding text that fans or Facebook supplied.
const CONTACT_TEXT_COLUMNS: &[usize] = &[1, 2, 3, 4, 5, 8, 26];

/// The CSV header line.
pub fn csv_header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)
        .expect("writing to memory cannot fail");
    w.into_inner().unwrap_or_default()
}

/// Formats a chunk of rows.
pub fn encode(format: Format, rows: &[ContactRow]) -> Vec<u8> {
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160));
            for r in rows {
                let mut cells = fields(r);
                for i in CONTACT_TEXT_COLUMNS {
                    cells[*i] = csv_safe(&cells[*i]).into_owned();
                }
                w.write_record(cells)
                    .expect("writing to memory cannot fail");
            }
            w.into_inner().unwrap_or_default()
        }
        Format::Ndjson => {
            let mut out = Vec::with_capacity(rows.len() * 400);
            for r in rows {
                let obj: Value = CSV_HEADER
                    .iter()
                    .zip(fields(r))
                    .map(|(k, v)| ((*k).to_string(), json!(v)))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
                serde_json::to_writer(&mut out, &obj).expect("writing to memory cannot fail");
                out.push(b'\n');
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_quoted_and_plain_text_is_kept() {
        for hostile in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe(hostile), format!("'{hostile}"));
        }
        for plain in ["Eve", "", "1-2", " =not first", "'quoted"] {
            assert_eq!(csv_safe(plain), plain);
        }
    }
}
