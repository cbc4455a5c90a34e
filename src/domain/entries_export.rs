//! The entries of a contest as CSV, for the dashboard's "Download entries"
//! link. Fan-written text (author name, entry text) goes through
//! [`csv_safe`], so a spreadsheet never runs it as a formula; numbers keep
//! their sign.

use crate::db::entries::EntryView;
use crate::domain::export::csv_safe;

pub const HEADER: &[&str] = &[
    "id",
    "status",
    "author",
    "text",
    "image_url",
    "votes",
    "points",
    "judge_score",
    "created_at",
    "source",
];

/// One exported entry: the entry with its votes, plus what is looked up per
/// chunk (the entrant's point balance and the judges' average, when any).
pub struct Row<'a> {
    pub view: &'a EntryView,
    pub points: Option<i64>,
    pub judge_score: Option<f64>,
    /// Absolute URL of the uploaded image, when there is one.
    pub image_url: Option<String>,
}

pub fn header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)
        .expect("writing to memory cannot fail");
    w.into_inner().unwrap_or_default()
}

pub fn encode(rows: &[Row<'_>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160));
    for r in rows {
        let e = &r.view.entry;
        let author = r.view.author.as_deref().unwrap_or("");
        w.write_record([
            e.id.to_string(),
            e.status.clone(),
            csv_safe(author).into_owned(),
            csv_safe(e.text.as_deref().unwrap_or("")).into_owned(),
            r.image_url.clone().unwrap_or_default(),
            r.view.votes.to_string(),
            r.points.map(|p| p.to_string()).unwrap_or_default(),
            r.judge_score.map(|s| format!("{s:.2}")).unwrap_or_default(),
            e.created_at.to_rfc3339(),
            e.source.clone(),
        ])
        .expect("writing to memory cannot fail");
    }
    w.into_inner().unwrap_or_default()
}
