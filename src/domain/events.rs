//! Turning stored webhook events into CRM data: contacts (from `from` id and name),
//! timeline activities with sentiment, comment edits and removals, and
//! comment-to-enter entries.
//!
//! Idempotent: every effect is keyed (activities by a dedupe key, entries by
//! comment id, contacts by identity), so replaying one event or the whole history
//! changes nothing.

use chrono::Utc;
use diesel::pg::PgConnection;
use serde_json::{json, Value};

use crate::db::activities::{self, NewActivity};
use crate::db::contacts::{self, Observation};
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
    let when = e.created_time.or(e.entry_time).unwrap_or_else(Utc::now);

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
                    source: if kind == "comment" {
                        "comment"
                    } else {
                        "webhook"
                    },
                    ..Default::default()
                },
            )?
            .contact_id,
        ),
        None => None,
    };
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
    activities::record(
        conn,
        &NewActivity {
            page_id: page.id,
            contact_id: contact,
            visitor_id: None,
            contest_id: None,
            kind: activity_kind,
            occurred_at: when,
            details,
            dedupe_key: Some(dedupe),
        },
    )?;
    // Only top-level comments (parent = the post) are entries; replies are not.
    let top_level = e.parent_id.is_none() || e.parent_id == e.post_id;
    if kind == "comment" && is_add(verb) && top_level {
        if let (Some(comment), Some(post), Some(sender)) = (&e.comment_id, &e.post_id, &e.sender_id)
        {
            for contest in crate::db::contests::by_linked_post(conn, post)? {
                if contest.page_id != page.id {
                    continue;
                }
                comment_entries::enter_by_comment(
                    conn,
                    &contest,
                    &CommentSeen {
                        comment_id: comment,
                        post_id: post,
                        sender_id: sender,
                        sender_name: e.sender_name.as_deref(),
                        message: e.message.as_deref(),
                        created_time: when,
                    },
                )?;
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
