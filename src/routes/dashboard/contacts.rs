//! The social CRM of the current page:
//!
//! - `GET /dashboard/contacts?segment=&sentiment=&q=&email=yes|no&sort=&page=N`:
//!   the contact list with filters and pagination (`db::crm::list`, the query
//!   behind `GET /api/v1/contacts`);
//! - `GET /dashboard/contacts/{id}`: one contact with metrics, segments,
//!   identities, consents, entries, points and the full timeline (the same
//!   reads as `GET /api/v1/contacts/{id}`).

use std::collections::HashMap;

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::contests::{entry_badge, image_url};
use super::{format_utc, Ctx, DashResult};
use crate::db::crm::{self, ContactFilter, ContactRow, ContactSort};
use crate::db::{activities, consents, contacts, contests, entries, segments};
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Section};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/contacts", web::get().to(list))
        .route("/dashboard/contacts/{id:\\d+}", web::get().to(show));
}

/// Contacts per page of the list.
pub const PER_PAGE: i64 = 50;

/// Sentiment filter choices: (value, label, minimum average sentiment).
const SENTIMENT: &[(&str, &str, f64)] = &[
    ("positive", "Positive", 0.05),
    ("neutral", "Neutral or better", -0.05),
    ("enthusiastic", "Very positive", 0.5),
];

const SORTS: &[(&str, &str)] = &[
    ("recent", "Recently active"),
    ("advocacy", "Advocacy"),
    ("reach", "Reach"),
];

#[derive(Deserialize, Default)]
struct ListQuery {
    segment: Option<String>,
    sentiment: Option<String>,
    q: Option<String>,
    email: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn segment_names(list: &[segments::Segment]) -> HashMap<String, String> {
    list.iter()
        .map(|s| (s.key.clone(), s.name.clone()))
        .collect()
}

pub fn sentiment_text(s: Option<f64>) -> String {
    match s {
        None => "–".into(),
        Some(v) if v >= 0.05 => format!("Positive ({v:+.2})"),
        Some(v) if v <= -0.05 => format!("Negative ({v:+.2})"),
        Some(v) => format!("Neutral ({v:+.2})"),
    }
}

fn sentiment_class(s: Option<f64>) -> &'static str {
    match s {
        Some(v) if v >= 0.05 => "up",
        Some(v) if v <= -0.05 => "down",
        _ => "",
    }
}

struct Row {
    id: i64,
    name: String,
    email: Option<String>,
    segments: Vec<String>,
    entries: i64,
    votes: i64,
    referrals: i64,
    points: i64,
    sentiment: String,
    sentiment_class: &'static str,
    advocacy: String,
    last_seen: String,
}

fn name_of(r: &ContactRow) -> String {
    r.display_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("Fan #{}", r.id))
}

#[derive(Template)]
#[template(path = "dashboard/contacts.html")]
struct ListPage {
    layout: DashboardLayout,
    page_name: String,
    q: String,
    segments: Vec<Choice>,
    sentiments: Vec<Choice>,
    emails: Vec<Choice>,
    sorts: Vec<Choice>,
    rows: Vec<Row>,
    page: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    filtered: bool,
}

/// The query string of the list with another page number.
fn page_href(q: &ListQuery, page: i64) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (k, v) in [
        ("segment", &q.segment),
        ("sentiment", &q.sentiment),
        ("q", &q.q),
        ("email", &q.email),
        ("sort", &q.sort),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            pairs.push((k, v.to_string()));
        }
    }
    if page > 1 {
        pairs.push(("page", page.to_string()));
    }
    let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if qs.is_empty() {
        "/dashboard/contacts".into()
    } else {
        format!("/dashboard/contacts?{qs}")
    }
}

async fn list(state: web::Data<AppState>, ctx: Ctx, q: web::Query<ListQuery>) -> DashResult {
    let q = q.into_inner();
    let page = ctx.current_page()?.clone();
    let page_id = page.id;
    let search =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
    if search.as_deref().is_some_and(|s| s.chars().count() > 200) {
        return Err(
            AppError::invalid("invalid_length", "the search is limited to 200 characters").into(),
        );
    }
    let sort = match q.sort.as_deref() {
        Some("advocacy") => ContactSort::Advocacy,
        Some("reach") => ContactSort::Reach,
        _ => ContactSort::Recent,
    };
    let min_sentiment = SENTIMENT
        .iter()
        .find(|(v, _, _)| Some(*v) == q.sentiment.as_deref())
        .map(|(_, _, m)| *m);
    let has_email = match q.email.as_deref() {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    let filter = ContactFilter {
        segment: q.segment.clone().filter(|s| !s.is_empty()),
        search: search.clone(),
        has_email,
        min_sentiment,
        sort,
    };
    let filtered = filter.segment.is_some()
        || filter.search.is_some()
        || has_email.is_some()
        || min_sentiment.is_some();
    let page_no = q.page.unwrap_or(1).clamp(1, 100_000);
    let offset = (page_no - 1) * PER_PAGE;
    let settings = state.settings.segments.clone();
    let (segs, mut rows) = state
        .db
        .transaction(move |c| {
            segments::ensure_personas(c, page_id, &settings)?;
            let segs = segments::of_page(c, page_id)?;
            // One more than shown tells whether there is a next page.
            let rows = crm::list(c, page_id, &filter, PER_PAGE + 1, offset)?;
            Ok((segs, rows))
        })
        .await?;
    let has_next = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    let names = segment_names(&segs);
    let choice = |value: &str, label: &str, current: Option<&str>| Choice {
        value: value.to_string(),
        label: label.to_string(),
        selected: current == Some(value),
    };
    let out_rows = rows
        .iter()
        .map(|r| Row {
            id: r.id,
            name: name_of(r),
            email: r.email.clone(),
            segments: r
                .segments
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|k| names.get(k).cloned().unwrap_or_else(|| k.to_string()))
                .collect(),
            entries: r.entries,
            votes: r.votes_cast,
            referrals: r.referral_conversions,
            points: r.points,
            sentiment: sentiment_text(r.sentiment),
            sentiment_class: sentiment_class(r.sentiment),
            advocacy: format!("{:.1}", r.advocacy),
            last_seen: r.last_seen_at.format("%b %-d, %H:%M").to_string(),
        })
        .collect();
    ctx.render(&ListPage {
        layout: ctx.layout("Contacts", Section::Contacts),
        page_name: page.name.clone(),
        q: search.unwrap_or_default(),
        segments: segs
            .iter()
            .map(|s| choice(&s.key, &s.name, q.segment.as_deref()))
            .collect(),
        sentiments: SENTIMENT
            .iter()
            .map(|(v, l, _)| choice(v, l, q.sentiment.as_deref()))
            .collect(),
        emails: [("yes", "Has an email address"), ("no", "No email address")]
            .iter()
            .map(|(v, l)| choice(v, l, q.email.as_deref()))
            .collect(),
        sorts: SORTS
            .iter()
            .map(|(v, l)| choice(v, l, Some(q.sort.as_deref().unwrap_or("recent"))))
            .collect(),
        rows: out_rows,
        page: page_no,
        prev_href: (page_no > 1).then(|| page_href(&q, page_no - 1)),
        next_href: has_next.then(|| page_href(&q, page_no + 1)),
        filtered,
    })
}

struct Metric {
    label: &'static str,
    value: String,
}

struct EntryItem {
    contest: String,
    contest_id: i64,
    id: i64,
    text: Option<String>,
    image_url: Option<String>,
    badge: (&'static str, &'static str),
    when: String,
}

struct Event {
    when: String,
    label: &'static str,
    icon: &'static str,
    contest: Option<(i64, String)>,
    detail: String,
}

#[derive(Template)]
#[template(path = "dashboard/contact.html")]
struct ShowPage {
    layout: DashboardLayout,
    name: String,
    first_seen: String,
    last_seen: String,
    c: ContactRow,
    friends: Option<i32>,
    segments: Vec<String>,
    metrics: Vec<Metric>,
    identities: Vec<contacts::Identity>,
    consents: Vec<(String, String, String)>,
    entries: Vec<EntryItem>,
    timeline: Vec<Event>,
}

/// The people-facing words (and a symbol) for a timeline kind.
fn kind_label(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "entry" => ("Entered", "✎"),
        "vote_cast" => ("Voted", "♥"),
        "vote_voided" => ("Vote voided", "✕"),
        "comment" => ("Commented", "💬"),
        "comment_edited" => ("Edited a comment", "💬"),
        "comment_removed" => ("Removed a comment", "💬"),
        "reaction" => ("Reacted", "☺"),
        "reaction_removed" => ("Removed a reaction", "☺"),
        "mention" => ("Mentioned the page", "@"),
        "rating" => ("Rated the page", "★"),
        "share" => ("Shared", "↗"),
        "referral_click" => ("Came through a referral link", "→"),
        "referral_conversion" => ("Referred someone who entered", "⇄"),
        "page_view" => ("Viewed a contest", "👁"),
        "points_awarded" => ("Earned points", "+"),
        "poll_suggestion" => ("Suggested a prize", "?"),
        "poll_vote" => ("Voted in a prize poll", "✓"),
        _ => ("Activity", "•"),
    }
}

/// A one-line summary of an activity's details (all of it text, escaped by askama).
fn detail_text(d: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let n = |k: &str| d.get(k).and_then(|v| v.as_i64());
    if let Some(p) = n("points") {
        let reason = s("reason").unwrap_or_default().replace('_', " ");
        parts.push(format!(
            "{p:+} points{}",
            if reason.is_empty() {
                String::new()
            } else {
                format!(" ({reason})")
            }
        ));
    } else if let Some(r) = s("reason") {
        parts.push(r);
    }
    if let Some(e) = n("entry_id") {
        parts.push(format!("entry #{e}"));
    }
    for k in ["message", "text"] {
        if let Some(t) = s(k) {
            let mut t: String = t.chars().take(140).collect();
            if t.len() >= 140 {
                t.push('…');
            }
            parts.push(format!("“{t}”"));
        }
    }
    for k in ["reaction_type", "channel", "source", "code"] {
        if let Some(t) = s(k) {
            parts.push(t.replace('_', " "));
        }
    }
    if let Some(v) = d.get("sentiment").and_then(|v| v.as_f64()) {
        parts.push(format!("sentiment {v:+.2}"));
    }
    parts.join(" · ")
}

async fn show(state: web::Data<AppState>, ctx: Ctx, path: web::Path<i64>) -> DashResult {
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let (row, friends, identities, consent_list, seg_keys, segs, entry_list, timeline, titles) =
        state
            .db
            .run(move |c| {
                let page_id = crm::page_for_admin(c, admin, id)?;
                let row = crm::one(c, id)?;
                let friends = {
                    use crate::db::schema::contacts as t;
                    use diesel::prelude::*;
                    t::table
                        .find(id)
                        .select(t::friends_count)
                        .first::<Option<i32>>(c)?
                };
                let titles: HashMap<i64, String> =
                    contests::list_for_admin(c, admin, Some(page_id))?
                        .into_iter()
                        .map(|x| (x.id, x.title))
                        .collect();
                Ok((
                    row,
                    friends,
                    contacts::identities(c, id)?,
                    consents::of_contact(c, id)?,
                    segments::of_contact(c, id)?,
                    segments::of_page(c, page_id)?,
                    entries::all_of_contact(c, id, 100)?,
                    activities::timeline(c, id, 500)?,
                    titles,
                ))
            })
            .await?;
    let names = segment_names(&segs);
    let title_of = |cid: i64| {
        titles
            .get(&cid)
            .cloned()
            .unwrap_or_else(|| format!("Contest #{cid}"))
    };
    let metrics = vec![
        Metric {
            label: "Entries",
            value: row.entries.to_string(),
        },
        Metric {
            label: "Votes cast",
            value: row.votes_cast.to_string(),
        },
        Metric {
            label: "Votes received",
            value: row.votes_received.to_string(),
        },
        Metric {
            label: "Referral clicks",
            value: row.referral_clicks.to_string(),
        },
        Metric {
            label: "Referred entrants",
            value: row.referral_conversions.to_string(),
        },
        Metric {
            label: "Shares",
            value: row.shares.to_string(),
        },
        Metric {
            label: "Comments",
            value: row.comments.to_string(),
        },
        Metric {
            label: "Points",
            value: row.points.to_string(),
        },
        Metric {
            label: "Sentiment",
            value: sentiment_text(row.sentiment),
        },
        Metric {
            label: "Advocacy",
            value: format!("{:.1}", row.advocacy),
        },
        Metric {
            label: "Reach",
            value: row.reach.to_string(),
        },
    ];
    let page = ShowPage {
        layout: ctx.layout(name_of(&row), Section::Contacts),
        name: name_of(&row),
        first_seen: format_utc(row.first_seen_at),
        last_seen: format_utc(row.last_seen_at),
        friends,
        segments: seg_keys
            .iter()
            .map(|k| names.get(k).cloned().unwrap_or_else(|| k.clone()))
            .collect(),
        metrics,
        identities,
        consents: consent_list
            .iter()
            .map(|x| {
                (
                    x.kind.replace('_', " "),
                    if x.granted {
                        "Granted".to_string()
                    } else {
                        "Declined".to_string()
                    },
                    format_utc(x.recorded_at),
                )
            })
            .collect(),
        entries: entry_list
            .iter()
            .map(|e| EntryItem {
                contest: title_of(e.contest_id),
                contest_id: e.contest_id,
                id: e.id,
                text: e.text.clone(),
                image_url: image_url(e.image_name.as_deref()),
                badge: entry_badge(&e.status),
                when: format_utc(e.created_at),
            })
            .collect(),
        timeline: timeline
            .iter()
            .map(|a| {
                let (label, icon) = kind_label(&a.kind);
                Event {
                    when: format_utc(a.occurred_at),
                    label,
                    icon,
                    contest: a.contest_id.map(|cid| (cid, title_of(cid))),
                    detail: detail_text(&a.details),
                }
            })
            .collect(),
        c: row,
    };
    ctx.render(&page)
}
