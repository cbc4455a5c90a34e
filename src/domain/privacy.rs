//! Data rights: the one deletion routine of the whole codebase.
//!
//! A data-deletion request (the platform callback, or a fan's own request) runs
//! [`erase_subject`], which calls every registered eraser in
//! [`crate::db::privacy::ERASERS`]. Each feature that stores personal data adds its
//! eraser there; nothing else deletes personal data, so there is one place to audit.
//! Anonymised aggregates (counts, averages) are kept; identities, names, messages,
//! emails and other personal fields are deleted or blanked.

use diesel::pg::PgConnection;
use serde_json::{Map, Value};

use crate::db::privacy;

/// Erases everything Fanfare holds about the app-scoped user `asid`. Returns a report
/// of rows affected per table (counts only).
pub fn erase_subject(
    conn: &mut PgConnection,
    asid: &str,
    uploads_dir: Option<std::path::PathBuf>,
) -> Result<Value, crate::error::AppError> {
    let subject = privacy::resolve_subject(conn, asid, uploads_dir)?;
    let mut report = Map::new();
    for (table, eraser) in privacy::ERASERS {
        let n = eraser(conn, &subject)?;
        report.insert((*table).to_string(), Value::from(n));
    }
    // The erased entries are disqualified: one that had won is declined and its
    // prize passes to the next alternate, as for any excluded entry.
    let erased = crate::db::entries::of_contacts(conn, &subject.contact_ids)?;
    crate::domain::winners::exclude_entries(conn, &erased, None)?;
    Ok(Value::Object(report))
}

/// What the public status page says Fanfare keeps after a deletion, and why.
pub const RETENTION_NOTE: &str = "Fanfare deleted or anonymised every record that identified you: \
your Facebook ids, name, email, postal code, comments and entries' personal fields. It keeps only \
anonymous totals (for example how many entries or votes a contest received), which no longer \
relate to you.";

/// Keys removed from stored webhook values when their sender is erased.
pub const PERSONAL_VALUE_KEYS: &[&str] = &[
    "from",
    "sender_id",
    "sender_name",
    "reviewer_id",
    "reviewer_name",
    "message",
    "review_text",
    "link",
    "photo",
    "video",
];

/// Scrubs personal fields of changes sent by `ids` from a raw delivery body. Returns
/// `None` when the body is not JSON (then the caller blanks it entirely).
pub fn scrub_delivery_body(body: &[u8], ids: &[String]) -> Option<Vec<u8>> {
    let mut root: Value = serde_json::from_slice(body).ok()?;
    if let Some(entries) = root.get_mut("entry").and_then(Value::as_array_mut) {
        for entry in entries {
            if let Some(changes) = entry.get_mut("changes").and_then(Value::as_array_mut) {
                for change in changes {
                    if let Some(value) = change.get_mut("value") {
                        scrub_value(value, ids);
                    }
                }
            }
            if let Some(items) = entry.get_mut("messaging").and_then(Value::as_array_mut) {
                for item in items {
                    let sender = item
                        .pointer("/sender/id")
                        .and_then(crate::platform::facebook::ids::id_from_value);
                    if sender.is_some_and(|s| ids.contains(&s)) {
                        *item = Value::String("[erased]".into());
                    }
                }
            }
        }
    }
    serde_json::to_vec(&root).ok()
}

fn scrub_value(value: &mut Value, ids: &[String]) {
    use crate::platform::facebook::ids::id_from_value;
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    let sender = obj
        .get("from")
        .and_then(|f| f.get("id"))
        .and_then(id_from_value)
        .or_else(|| obj.get("sender_id").and_then(id_from_value))
        .or_else(|| obj.get("reviewer_id").and_then(id_from_value));
    if sender.as_ref().is_some_and(|s| ids.contains(s)) {
        for key in PERSONAL_VALUE_KEYS {
            obj.remove(*key);
        }
        return;
    }
    // A mention names no sender: its post id starts with the author's id.
    let author = obj
        .get("post_id")
        .and_then(Value::as_str)
        .and_then(|p| p.split_once('_'))
        .map(|(author, _)| author.to_string());
    if sender.is_none() && author.is_some_and(|a| ids.contains(&a)) {
        for key in PERSONAL_VALUE_KEYS.iter().chain(&["post_id"]) {
            obj.remove(*key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_only_the_subject() {
        let body = br#"{"object":"page","entry":[{"id":"1","changes":[
            {"field":"feed","value":{"item":"comment","from":{"id":"7","name":"Ana"},"message":"hi"}},
            {"field":"feed","value":{"item":"comment","from":{"id":"8","name":"Bo"},"message":"yo"}},
            {"field":"ratings","value":{"reviewer_id":7,"reviewer_name":"Ana","review_text":"ok"}}]},
            {"id":"1","messaging":[{"sender":{"id":"7"},"message":{"text":"secret"}}]}]}"#;
        let out = scrub_delivery_body(body, &["7".to_string()]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("Ana"));
        assert!(!text.contains("secret"));
        assert!(!text.contains("\"hi\""));
        assert!(text.contains("Bo"));
        assert!(text.contains("yo"));
    }

    #[test]
    fn scrubs_the_subjects_mentions_by_their_post_id() {
        let body = br#"{"object":"page","entry":[{"id":"1","changes":[
            {"field":"mention","value":{"item":"post","verb":"add","post_id":"7_88","message":"about @Brand"}},
            {"field":"mention","value":{"item":"post","verb":"add","post_id":"8_99","message":"kept words"}},
            {"field":"feed","value":{"item":"comment","from":{"id":"8","name":"Bo"},"post_id":"7_1","message":"yo"}}]}]}"#;
        let text =
            String::from_utf8(scrub_delivery_body(body, &["7".to_string()]).unwrap()).unwrap();
        assert!(!text.contains("7_88"));
        assert!(!text.contains("about @Brand"));
        assert!(text.contains("8_99") && text.contains("kept words"));
        // Someone else's comment on a post id that happens to start with 7 stays.
        assert!(text.contains("\"yo\"") && text.contains("7_1"));
    }
}
