//! Webhook envelopes: `{"object":"page","entry":[{"id","time","changes"|"messaging"|"changed_fields"}]}`.
//!
//! Parsing is tolerant by design: ids may be strings or numbers, `from`, `message`
//! and `comment_id` may be missing or null, and an unknown field, item or verb is
//! kept and marked unhandled instead of failing the batch. Only a body that is not
//! JSON, or not an envelope at all, is "unparseable" (and is still stored).

use std::borrow::Cow;

use chrono::{DateTime, TimeZone, Utc};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::ids::id_from_value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Change,
    Messaging,
    ChangedField,
}

impl EventKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Change => "change",
            EventKind::Messaging => "messaging",
            EventKind::ChangedField => "changed_field",
        }
    }
}

/// One typed event extracted from a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEvent {
    pub seq: i32,
    pub object: String,
    pub page_id: Option<String>,
    pub kind: EventKind,
    pub field: Option<String>,
    pub item: Option<String>,
    pub verb: Option<String>,
    pub post_id: Option<String>,
    pub comment_id: Option<String>,
    pub parent_id: Option<String>,
    pub share_id: Option<String>,
    pub reaction_type: Option<String>,
    pub sender_id: Option<String>,
    pub sender_name: Option<String>,
    pub message: Option<String>,
    pub created_time: Option<DateTime<Utc>>,
    pub entry_time: Option<DateTime<Utc>>,
    /// The raw change value (or messaging item), NUL characters removed because
    /// Postgres text and jsonb cannot hold them.
    pub value: Value,
    pub handled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedDelivery {
    pub object: String,
    pub events: Vec<ParsedEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("body is not JSON: {0}")]
    NotJson(String),
    #[error("body is not a webhook envelope: {0}")]
    NotEnvelope(&'static str),
}

/// Known feed items and verbs (from the platform doc).
const FEED_ITEMS: &[&str] = &[
    "album", "comment", "event", "photo", "video", "status", "post", "reaction", "share", "like",
];
const VERBS: &[&str] = &[
    "add", "block", "edit", "edited", "delete", "follow", "hide", "mute", "remove", "unblock",
    "unhide", "update",
];

/// Parses a delivery body. Never panics.
///
/// The parsed tree is taken apart, not copied: each event owns its part of it.
/// When it copied each change value out of the tree, rebuilt it to strip NULs
/// that were not there and copied its map again to read it, this function was
/// 27% of a job worker's CPU samples under P3 (issue 10, BENCHMARKS.md).
pub fn parse_delivery(body: &[u8]) -> Result<ParsedDelivery, EnvelopeError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
    let Value::Object(mut root) = root else {
        return Err(EnvelopeError::NotEnvelope("the body is not a JSON object"));
    };
    let object = root
        .get("object")
        .and_then(Value::as_str)
        .ok_or(EnvelopeError::NotEnvelope("`object` is missing"))?
        .to_string();
    let Some(Value::Array(entries)) = root.remove("entry") else {
        return Err(EnvelopeError::NotEnvelope("`entry` is not an array"));
    };
    // JSON can only spell a NUL character as the escape `\u0000`: without it in
    // the body, no string of the tree holds one and nothing needs stripping.
    let nul = memchr::memmem::find(body, b"\\u0000").is_some();
    let strip = |v: Value| if nul { strip_nul(v) } else { v };

    let mut events = Vec::new();
    let mut seq = 0i32;
    for entry in entries {
        let Value::Object(mut entry) = entry else {
            continue;
        };
        let page_id = entry.get("id").and_then(id_without_nul);
        let entry_time = entry.get("time").and_then(timestamp);
        // An event with only what every kind has; the kind fills in the rest.
        let base = |seq: i32, kind: EventKind| ParsedEvent {
            seq,
            object: strip_nul_str(&object),
            page_id: page_id.clone(),
            kind,
            field: None,
            item: None,
            verb: None,
            post_id: None,
            comment_id: None,
            parent_id: None,
            share_id: None,
            reaction_type: None,
            sender_id: None,
            sender_name: None,
            message: None,
            created_time: None,
            entry_time,
            value: Value::Null,
            handled: false,
        };
        if let Some(Value::Array(changes)) = entry.remove("changes") {
            for mut change in changes {
                let field = change
                    .get("field")
                    .and_then(Value::as_str)
                    .map(strip_nul_str);
                let value = match change.as_object_mut().and_then(|c| c.remove("value")) {
                    Some(v) => strip(v),
                    None => Value::Null,
                };
                let mut ev = base(seq, EventKind::Change);
                ev.field = field;
                if let Some(v) = value.as_object() {
                    fill_from_value(&mut ev, v);
                }
                ev.value = value;
                ev.handled = is_handled(&ev);
                events.push(ev);
                seq += 1;
            }
        }
        if let Some(Value::Array(messaging)) = entry.remove("messaging") {
            for item in messaging {
                let mut ev = base(seq, EventKind::Messaging);
                ev.sender_id = item.pointer("/sender/id").and_then(id_without_nul);
                ev.message = item
                    .pointer("/message/text")
                    .and_then(Value::as_str)
                    .map(strip_nul_str);
                ev.created_time = item.get("timestamp").and_then(timestamp);
                ev.value = strip(item);
                events.push(ev);
                seq += 1;
            }
        }
        if let Some(Value::Array(fields)) = entry.remove("changed_fields") {
            for f in fields {
                let mut ev = base(seq, EventKind::ChangedField);
                ev.field = f.as_str().map(strip_nul_str);
                ev.value = strip(f);
                events.push(ev);
                seq += 1;
            }
        }
    }
    Ok(ParsedDelivery { object, events })
}

/// What acknowledging a delivery needs from its body: the envelope's `object`
/// and, per event, the labels it is counted under (field, item, verb).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverySummary {
    pub object: String,
    pub events: Vec<EventLabels>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLabels {
    pub field: Option<String>,
    pub item: Option<String>,
    pub verb: Option<String>,
}

impl From<&ParsedDelivery> for DeliverySummary {
    fn from(d: &ParsedDelivery) -> Self {
        DeliverySummary {
            object: d.object.clone(),
            events: d
                .events
                .iter()
                .map(|e| EventLabels {
                    field: e.field.clone(),
                    item: e.item.clone(),
                    verb: e.verb.clone(),
                })
                .collect(),
        }
    }
}

/// [`parse_delivery`] reduced to a [`DeliverySummary`], the same for every body.
/// Ingest runs this on every delivery before answering it; building the whole
/// tree of `Value`s and events there was 16% of the ingest path's CPU (P1 in
/// BENCHMARKS.md). A well-formed envelope is read straight into borrowed
/// structs that skip everything else; any body they refuse (not an envelope,
/// a field of an unexpected type, a duplicate key) goes through
/// [`parse_delivery`], so the summary and its errors stay exactly its.
pub fn summarize_delivery(body: &[u8]) -> Result<DeliverySummary, EnvelopeError> {
    if let Ok(env) = serde_json::from_slice::<EnvelopeShape<'_>>(body) {
        let mut events = Vec::new();
        for entry in &env.entry {
            for change in entry.changes.iter().flatten() {
                let value = change.value.as_ref();
                events.push(EventLabels {
                    field: change.field.as_deref().map(strip_nul_str),
                    item: value.and_then(|v| v.item.as_deref()).map(strip_nul_str),
                    verb: value.and_then(|v| v.verb.as_deref()).map(strip_nul_str),
                });
            }
            for _ in entry.messaging.iter().flatten() {
                events.push(EventLabels {
                    field: None,
                    item: None,
                    verb: None,
                });
            }
            for f in entry.changed_fields.iter().flatten() {
                events.push(EventLabels {
                    field: Some(strip_nul_str(f)),
                    item: None,
                    verb: None,
                });
            }
        }
        return Ok(DeliverySummary {
            object: env.object.into_owned(),
            events,
        });
    }
    parse_delivery(body).map(|d| DeliverySummary::from(&d))
}

/// The parts of an envelope [`summarize_delivery`] reads. Types are strict on
/// purpose: where [`parse_delivery`] would skip or tolerate a value, these
/// fail, and the body takes the full parse.
#[derive(Deserialize)]
struct EnvelopeShape<'a> {
    #[serde(borrow)]
    object: Cow<'a, str>,
    #[serde(borrow)]
    entry: Vec<EntryShape<'a>>,
}

#[derive(Deserialize)]
struct EntryShape<'a> {
    #[serde(borrow, default)]
    changes: Option<Vec<ChangeShape<'a>>>,
    #[serde(default)]
    messaging: Option<Vec<IgnoredAny>>,
    #[serde(borrow, default)]
    changed_fields: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct ChangeShape<'a> {
    #[serde(borrow, default)]
    field: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    value: Option<ChangeValueShape<'a>>,
}

#[derive(Deserialize)]
struct ChangeValueShape<'a> {
    #[serde(borrow, default)]
    item: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    verb: Option<Cow<'a, str>>,
}

fn fill_from_value(ev: &mut ParsedEvent, v: &Map<String, Value>) {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(strip_nul_str);
    let id = |k: &str| v.get(k).and_then(id_without_nul);
    ev.item = text("item");
    ev.verb = text("verb");
    ev.post_id = id("post_id");
    ev.comment_id = id("comment_id");
    ev.parent_id = id("parent_id");
    ev.share_id = id("share_id");
    ev.reaction_type = text("reaction_type");
    // Sender: `from{id,name}`, the older `sender_id`/`sender_name`, or a rating's reviewer.
    if let Some(from) = v.get("from").and_then(Value::as_object) {
        ev.sender_id = from.get("id").and_then(id_without_nul);
        ev.sender_name = from.get("name").and_then(Value::as_str).map(strip_nul_str);
    }
    if ev.sender_id.is_none() {
        ev.sender_id = id("sender_id").or_else(|| id("reviewer_id"));
    }
    if ev.sender_name.is_none() {
        ev.sender_name = text("sender_name").or_else(|| text("reviewer_name"));
    }
    ev.message = text("message").or_else(|| text("review_text"));
    ev.created_time = v.get("created_time").and_then(timestamp);
}

fn is_handled(ev: &ParsedEvent) -> bool {
    let item = ev.item.as_deref().unwrap_or("");
    let verb = ev.verb.as_deref().unwrap_or("");
    match ev.field.as_deref() {
        Some("feed") => FEED_ITEMS.contains(&item) && VERBS.contains(&verb),
        Some("mention") => matches!(item, "post" | "comment") && VERBS.contains(&verb),
        Some("ratings") => item == "rating" && VERBS.contains(&verb),
        _ => false,
    }
}

/// Seconds or milliseconds since the epoch (Facebook uses both), or an ISO 8601 string.
fn timestamp(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => {
            let raw = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?;
            // Anything past the year 5138 in seconds is surely milliseconds.
            let secs = if raw.abs() >= 100_000_000_000 {
                raw / 1000
            } else {
                raw
            };
            Utc.timestamp_opt(secs, 0).single()
        }
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z"))
            .ok()
            .map(|d| d.with_timezone(&Utc)),
        _ => None,
    }
}

/// An id, NUL characters removed: Postgres text refuses them, and a delivery that
/// cannot be stored would be answered 503 and redelivered forever (found by the
/// `webhook_envelope` fuzz target: a messaging `sender.id` of `"2\u0000"`).
fn id_without_nul(v: &Value) -> Option<String> {
    id_from_value(v).map(|s| strip_nul_str(&s))
}

fn strip_nul_str(s: &str) -> String {
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s.to_string()
    }
}

/// Removes NUL characters from every string (keys included) in a JSON value.
pub fn strip_nul(v: Value) -> Value {
    match v {
        Value::String(s) if s.contains('\0') => Value::String(s.replace('\0', "")),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nul).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (strip_nul_str(&k), strip_nul(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/facebook/webhooks/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn one(name: &str) -> ParsedEvent {
        let d = parse_delivery(&fixture(name)).unwrap();
        assert_eq!(d.events.len(), 1, "{name}");
        d.events.into_iter().next().unwrap()
    }

    #[test]
    fn the_summary_agrees_with_the_full_parse_on_every_body() {
        let dir = format!(
            "{}/tests/fixtures/facebook/webhooks",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut bodies: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        assert!(bodies.len() >= 10, "fixtures missing from {dir}");
        // The fixtures are well-formed envelopes: the fast path reads them all.
        for body in &bodies {
            assert!(
                serde_json::from_slice::<EnvelopeShape<'_>>(body).is_ok(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // Bodies the fast path refuses or reads differently, each against the full parse.
        for hostile in [
            "",
            "[]",
            "{\"object\":\"page\"}",
            "{\"entry\":[]}",
            "{\"object\":7,\"entry\":[]}",
            "{\"object\":\"page\",\"entry\":{}}",
            "{\"object\":\"page\",\"entry\":[1,{\"changes\":[{\"field\":\"feed\"}]}]}",
            "{\"object\":\"page\",\"entry\":[{\"changes\":{\"field\":\"feed\"}}]}",
            "{\"object\":\"page\",\"entry\":[{\"changes\":[{\"field\":5,\"value\":[]}]}]}",
            "{\"object\":\"page\",\"entry\":[{\"changes\":[{\"field\":\"fe\\u0000ed\",\"value\":{\"item\":\"comment\",\"verb\":\"add\"}}]}]}",
            "{\"object\":\"page\",\"object\":\"user\",\"entry\":[]}",
            "{\"object\":\"page\",\"entry\":[{\"changed_fields\":[\"feed\",3]}]}",
            "{\"object\":\"page\",\"entry\":[{\"messaging\":[{},{}],\"changes\":null}]}",
            "{\"object\":\"pa\\\"ge\",\"entry\":[]} trailing",
        ] {
            bodies.push(hostile.as_bytes().to_vec());
        }
        for body in &bodies {
            let full = parse_delivery(body).map(|d| DeliverySummary::from(&d));
            let summary = summarize_delivery(body);
            assert_eq!(
                summary.as_ref().map_err(ToString::to_string),
                full.as_ref().map_err(ToString::to_string),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let two = summarize_delivery(&fixture("two-entries")).unwrap();
        assert_eq!(
            two.events.len(),
            parse_delivery(&fixture("two-entries"))
                .unwrap()
                .events
                .len()
        );
        assert!(two.events.len() >= 2);
    }

    #[test]
    fn feed_comment_add() {
        let ev = one("feed-comment-add");
        assert_eq!(ev.page_id.as_deref(), Some("1111222233334444"));
        assert_eq!(ev.field.as_deref(), Some("feed"));
        assert_eq!(ev.item.as_deref(), Some("comment"));
        assert_eq!(ev.verb.as_deref(), Some("add"));
        assert_eq!(ev.comment_id.as_deref(), Some("555_777"));
        assert_eq!(ev.sender_id.as_deref(), Some("6001"));
        assert_eq!(ev.sender_name.as_deref(), Some("Ana Lima"));
        assert_eq!(ev.message.as_deref(), Some("Love this shirt idea!"));
        assert_eq!(ev.created_time.unwrap().timestamp(), 1733299990);
        assert!(ev.handled);
    }

    #[test]
    fn legacy_sender_and_numeric_ids() {
        let ev = one("feed-comment-add-legacy-sender");
        assert!(ev.sender_id.is_some());
        assert!(ev.sender_name.is_some());
        let ev = one("feed-post-remove-numeric-from");
        assert!(ev
            .sender_id
            .as_deref()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_digit()));
        let ev = one("feed-share-add");
        assert!(ev.share_id.is_some());
        assert!(ev.handled);
    }

    #[test]
    fn mention_rating_reaction() {
        let ev = one("mention-post-add");
        assert_eq!(ev.field.as_deref(), Some("mention"));
        assert_eq!(ev.sender_id, None);
        assert!(ev.handled);
        let ev = one("ratings-rating-add");
        assert!(ev.sender_id.is_some());
        assert!(ev.message.is_some());
        assert!(ev.handled);
        let ev = one("feed-reaction-on-comment");
        assert!(ev.reaction_type.is_some());
        assert!(ev.comment_id.is_some());
    }

    #[test]
    fn unknown_field_is_kept_unhandled() {
        let d = parse_delivery(&fixture("unknown-field")).unwrap();
        assert!(!d.events.is_empty());
        assert!(d.events.iter().all(|e| !e.handled));
    }

    #[test]
    fn two_entries_messaging_and_changed_fields() {
        let d = parse_delivery(&fixture("two-entries")).unwrap();
        assert_eq!(d.events.len(), 2);
        assert_eq!(d.events[1].seq, 1);
        let d = parse_delivery(&fixture("messaging")).unwrap();
        assert_eq!(d.events[0].kind, EventKind::Messaging);
        assert_eq!(d.events[0].sender_id.as_deref(), Some("6008"));
        assert_eq!(d.events[0].message.as_deref(), Some("How do I enter?"));
        let d = parse_delivery(&fixture("changed-fields-only")).unwrap();
        assert_eq!(d.events[0].kind, EventKind::ChangedField);
        assert_eq!(d.events[0].field.as_deref(), Some("feed"));
    }

    #[test]
    fn unicode_escapes_and_slashes_decode() {
        let body = br#"{"object":"page","entry":[{"id":1,"time":1733300000000,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","message":"J\u00e4mf\u00f6r http:\/\/x.y\/z","from":{"id":7,"name":"\u00c5sa"}}}]}]}"#;
        let d = parse_delivery(body).unwrap();
        let ev = &d.events[0];
        assert_eq!(ev.message.as_deref(), Some("Jämför http://x.y/z"));
        assert_eq!(ev.sender_name.as_deref(), Some("Åsa"));
        assert_eq!(ev.page_id.as_deref(), Some("1"));
        assert_eq!(ev.entry_time.unwrap().timestamp(), 1733300000);
    }

    #[test]
    fn nul_characters_are_removed() {
        let body = br#"{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":{"item":"comment","verb":"add","message":"a\u0000b","k\u0000":"v"}}]}]}"#;
        let d = parse_delivery(body).unwrap();
        assert_eq!(d.events[0].message.as_deref(), Some("ab"));
        assert!(!d.events[0].value.to_string().contains("\\u0000"));
    }

    #[test]
    fn nul_characters_are_removed_from_the_values_of_every_kind_of_event() {
        let body = br#"{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":{"item":"comment","verb":"add","message":"a\u0000b"}}],"messaging":[{"sender":{"id":"2"},"note":"x\u0000y"}],"changed_fields":["na\u0000me"]}]}"#;
        let d = parse_delivery(body).unwrap();
        assert_eq!(d.events.len(), 3);
        assert_eq!(d.events[0].value["message"], "ab");
        assert_eq!(d.events[1].value["note"], "xy");
        assert_eq!(d.events[2].value, "name");
        assert_eq!(d.events[2].field.as_deref(), Some("name"));
    }

    /// An escaped backslash before `u0000` is text, not a NUL: it matches the
    /// raw-body check for the escape, and must come out as it came.
    #[test]
    fn an_escaped_backslash_before_u0000_is_kept_as_text() {
        let body = br#"{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":{"item":"comment","verb":"add","message":"a\\u0000b"}}]}]}"#;
        let d = parse_delivery(body).unwrap();
        assert_eq!(d.events[0].message.as_deref(), Some("a\\u0000b"));
        assert_eq!(d.events[0].value["message"], "a\\u0000b");
    }

    /// Regression (fuzz finding, `webhook_envelope`): NUL in ids reached the events.
    #[test]
    fn nul_characters_are_removed_from_ids_too() {
        let body = br#"{"object":"page","entry":[{"id":"1\u0000","messaging":[{"sender":{"id":"2imessage\u0000"}}],"changes":[{"field":"feed","value":{"item":"comment","verb":"add","from":{"id":"3\u0000","name":"n"},"post_id":"4\u0000"}}]}]}"#;
        let d = parse_delivery(body).unwrap();
        for ev in &d.events {
            assert_eq!(ev.page_id.as_deref(), Some("1"));
        }
        let senders: Vec<_> = d.events.iter().map(|e| e.sender_id.as_deref()).collect();
        assert!(senders.contains(&Some("2imessage")) && senders.contains(&Some("3")));
        assert!(d.events.iter().any(|e| e.post_id.as_deref() == Some("4")));
    }

    #[test]
    fn not_envelopes() {
        assert!(matches!(
            parse_delivery(b"rawBody"),
            Err(EnvelopeError::NotJson(_))
        ));
        assert!(matches!(
            parse_delivery(b"[]"),
            Err(EnvelopeError::NotEnvelope(_))
        ));
        assert!(matches!(
            parse_delivery(b"{}"),
            Err(EnvelopeError::NotEnvelope(_))
        ));
        assert!(matches!(
            parse_delivery(br#"{"object":"page","entry":{}}"#),
            Err(EnvelopeError::NotEnvelope(_))
        ));
        let deep = "[".repeat(10_000);
        assert!(parse_delivery(deep.as_bytes()).is_err());
    }

    #[test]
    fn odd_but_valid_shapes_do_not_fail_the_batch() {
        let body = br#"{"object":"page","entry":[null,{"id":"1","changes":[{"field":"feed","value":null},{"value":{"item":"comment"}},{"field":"feed","value":{"item":"comment","verb":"add","from":null,"message":null,"comment_id":null}}]}]}"#;
        let d = parse_delivery(body).unwrap();
        assert_eq!(d.events.len(), 3);
        assert!(!d.events[0].handled);
        assert!(!d.events[1].handled);
        assert!(d.events[2].handled);
        assert_eq!(d.events[2].sender_id, None);
    }
}
