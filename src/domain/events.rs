//! Turning stored webhook events into CRM data: contacts (from `from` id and name),
//! timeline activities with sentiment, comment edits and removals, and
//! comment-to-enter entries.
//!
//! Idempotent: every effect is keyed (activities by a dedupe key, entries by
//! comment id, contacts by identity), so replaying one event or the whole history
//! changes nothing.

use std::collections::HashMap;

use chrono::Utc;
use diesel::pg::PgConnection;
use serde_json::{json, Value};

use crate::db::activities::{self, NewActivity};
use crate::db::contacts::{self, Observation};
use crate::db::contests::Contest;
use crate::db::webhooks::Event;
use crate::db::{entries, pages};
use crate::domain::comment_entries::{self, CommentSeen};
use crate::error::AppError;

/// The timeline kind an event becomes, if any.
fn kind_of(e: &Event) -> Option<&'static str> {
    let item = e.item.as_deref().unwrap_or("");
    match (e.field.as_deref()?, item) {
        ("feed", "comment") => Some("comment"),
        ("feed", "reaction") => Some("reaction"),
        ("feed", "like") => Some("reaction"),
        ("feed", "share") => Some("share"),
        ("feed", "status" | "post" | "photo" | "video" | "album") => Some("post"),
        ("mention", _) => Some("mention"),
        ("ratings", "rating") => Some("rating"),
        _ => None,
    }
}

fn is_add(verb: Option<&str>) -> bool {
    matches!(verb, Some("add") | None)
}

fn is_edit(verb: Option<&str>) -> bool {
    matches!(verb, Some("edit" | "edited" | "update"))
}

fn is_removal(verb: Option<&str>) -> bool {
    matches!(verb, Some("remove" | "delete" | "hide"))
}

/// Applies many events with the effects of [`apply`] on each, in order, but with
/// batch reads and writes: pages and linked contests looked up once per batch,
/// senders resolved together ([`contacts::resolve_psids`]) and activities inserted
/// in one multi-row statement. Comment edits and removals are applied one by one
/// where they occur, after everything before them was written, so order-sensitive
/// effects (an edit of a comment added in the same batch) come out the same.
pub fn apply_batch(conn: &mut PgConnection, events: &[&Event]) -> Result<(), AppError> {
    let mut pages_by_fb: HashMap<String, Option<i64>> = HashMap::new();
    let mut linked: HashMap<String, Vec<Contest>> = HashMap::new();
    let mut run: Vec<Planned<'_>> = Vec::new();
    for e in events {
        if !e.handled {
            continue;
        }
        let Some(kind) = kind_of(e) else {
            continue;
        };
        let Some(fb_page) = e.page_id.as_deref() else {
            continue;
        };
        let page_id = match pages_by_fb.get(fb_page) {
            Some(p) => *p,
            None => {
                let p = pages::find_by_fb_id(conn, fb_page)?.map(|p| p.id);
                pages_by_fb.insert(fb_page.to_string(), p);
                p
            }
        };
        let Some(page_id) = page_id else {
            continue;
        };
        let verb = e.verb.as_deref();
        if kind == "comment" && (is_edit(verb) || is_removal(verb)) {
            flush(conn, &mut run, &mut linked)?;
            comment_changed(conn, page_id, e, is_removal(verb))?;
            continue;
        }
        run.push(Planned {
            event: e,
            page_id,
            kind,
        });
    }
    flush(conn, &mut run, &mut linked)
}

struct Planned<'a> {
    event: &'a Event,
    page_id: i64,
    kind: &'static str,
}

/// Writes a run of add-type events: contacts, then activities, then entries.
fn flush(
    conn: &mut PgConnection,
    run: &mut Vec<Planned<'_>>,
    linked: &mut HashMap<String, Vec<Contest>>,
) -> Result<(), AppError> {
    if run.is_empty() {
        return Ok(());
    }
    let seen: Vec<contacts::PsidSeen> = run
        .iter()
        .filter_map(|p| {
            p.event
                .sender_id
                .as_deref()
                .map(|sender| contacts::PsidSeen {
                    page_id: p.page_id,
                    psid: sender.to_string(),
                    display_name: p.event.sender_name.clone(),
                    source: source_of(p.kind),
                })
        })
        .collect();
    let resolved = contacts::resolve_psids(conn, &seen)?;
    let mut rows = Vec::with_capacity(run.len());
    for p in run.iter() {
        let contact = p
            .event
            .sender_id
            .as_deref()
            .and_then(|s| resolved.get(&(p.page_id, s.to_string())).copied());
        rows.push(activity_of(p.event, p.page_id, p.kind, contact));
    }
    for chunk in rows.chunks(1000) {
        activities::record_many(conn, chunk)?;
    }
    for p in run.iter() {
        let e = p.event;
        if !is_comment_entry(e, p.kind) {
            continue;
        }
        let post = e.post_id.as_deref().unwrap_or_default();
        if !linked.contains_key(post) {
            let found = crate::db::contests::by_linked_post(conn, post)?;
            linked.insert(post.to_string(), found);
        }
        for contest in &linked[post] {
            if contest.page_id == p.page_id {
                enter(conn, contest, e)?;
            }
        }
    }
    run.clear();
    Ok(())
}

fn source_of(kind: &str) -> &'static str {
    if kind == "comment" {
        "comment"
    } else {
        "webhook"
    }
}

/// The timeline row an add-type event becomes.
fn activity_of(
    e: &Event,
    page_id: i64,
    kind: &'static str,
    contact: Option<i64>,
) -> NewActivity<'static> {
    let verb = e.verb.as_deref();
    let when = e.created_time.or(e.entry_time).unwrap_or_else(Utc::now);
    let mut details = json!({
        "post_id": e.post_id,
        "event_id": e.id,
    });
    if let Some(c) = &e.comment_id {
        details["comment_id"] = json!(c);
    }
    if let Some(r) = &e.reaction_type {
        details["reaction_type"] = json!(r);
    }
    if let Some(m) = &e.message {
        details["message"] = json!(m);
        details["sentiment"] = json!(crate::domain::sentiment::score(m));
    }
    if kind == "rating" {
        details["rating"] = e.value.get("rating").cloned().unwrap_or(Value::Null);
    }
    let activity_kind = if kind == "reaction" && is_removal(verb) {
        "reaction_removed"
    } else {
        kind
    };
    // A comment is one activity however it arrives (webhook or backfill).
    let dedupe = match (kind, &e.comment_id) {
        ("comment", Some(c)) => format!("comment:{c}"),
        _ => format!("event:{}", e.id),
    };
    NewActivity {
        page_id,
        contact_id: contact,
        visitor_id: None,
        contest_id: None,
        kind: activity_kind,
        occurred_at: when,
        details,
        dedupe_key: Some(dedupe),
    }
}

/// Only top-level comments (parent = the post) that are added are entries.
fn is_comment_entry(e: &Event, kind: &str) -> bool {
    let top_level = e.parent_id.is_none() || e.parent_id == e.post_id;
    kind == "comment"
        && is_add(e.verb.as_deref())
        && top_level
        && e.comment_id.is_some()
        && e.post_id.is_some()
        && e.sender_id.is_some()
}

fn enter(conn: &mut PgConnection, contest: &Contest, e: &Event) -> Result<(), AppError> {
    let (Some(comment), Some(post), Some(sender)) = (&e.comment_id, &e.post_id, &e.sender_id)
    else {
        return Ok(());
    };
    let when = e.created_time.or(e.entry_time).unwrap_or_else(Utc::now);
    comment_entries::enter_by_comment(
        conn,
        contest,
        &CommentSeen {
            comment_id: comment,
            post_id: post,
            sender_id: sender,
            sender_name: e.sender_name.as_deref(),
            message: e.message.as_deref(),
            created_time: when,
        },
    )?;
    Ok(())
}

/// Applies one event. Events of pages that do not run Fanfare are ignored.
pub fn apply(conn: &mut PgConnection, e: &Event) -> Result<(), AppError> {
    if !e.handled {
        return Ok(());
    }
    let Some(kind) = kind_of(e) else {
        return Ok(());
    };
    let Some(fb_page) = e.page_id.as_deref() else {
        return Ok(());
    };
    let Some(page) = pages::find_by_fb_id(conn, fb_page)? else {
        return Ok(());
    };
    let verb = e.verb.as_deref();
    if kind == "comment" && (is_edit(verb) || is_removal(verb)) {
        return comment_changed(conn, page.id, e, is_removal(verb));
    }
    let contact = match e.sender_id.as_deref() {
        Some(sender) => Some(
            contacts::resolve(
                conn,
                &Observation {
                    page_id: page.id,
                    psid: Some(sender.to_string()),
                    display_name: e.sender_name.clone(),
                    source: source_of(kind),
                    ..Default::default()
                },
            )?
            .contact_id,
        ),
        None => None,
    };
    activities::record(conn, &activity_of(e, page.id, kind, contact))?;
    if is_comment_entry(e, kind) {
        if let Some(post) = &e.post_id {
            for contest in crate::db::contests::by_linked_post(conn, post)? {
                if contest.page_id != page.id {
                    continue;
                }
                enter(conn, &contest, e)?;
            }
        }
    }
    Ok(())
}

/// An edited comment updates its activity and entry; a removed one is marked
/// removed and its entry disqualified.
fn comment_changed(
    conn: &mut PgConnection,
    page_id: i64,
    e: &Event,
    removed: bool,
) -> Result<(), AppError> {
    let Some(comment) = &e.comment_id else {
        return Ok(());
    };
    let key = format!("comment:{comment}");
    if removed {
        crate::db::activities::patch_details(conn, page_id, &key, &json!({"removed": true}))?;
    } else if let Some(m) = &e.message {
        crate::db::activities::patch_details(
            conn,
            page_id,
            &key,
            &json!({"message": m, "sentiment": crate::domain::sentiment::score(m), "edited": true}),
        )?;
    }
    entries::update_comment_entry(conn, comment, e.message.as_deref(), removed)?;
    Ok(())
}
