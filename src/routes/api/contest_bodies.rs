//! The documented request bodies of `POST /api/v1/contests` ([`NewContest`]) and
//! `PATCH /api/v1/contests/{id}` ([`ContestChanges`]). Both are read into
//! `domain::contest_admin::ContestInput`; the schemas here say what that code
//! really accepts (required fields, enums, lengths, ranges), so a client, and the
//! conformance fuzzer (`scripts/schemathesis.sh`), can tell a valid body from an
//! invalid one without trying it. Rules JSON Schema cannot state are in the
//! descriptions: `opens_at` before `closes_at` (409 invalid_schedule), question
//! ids unique in a form and bonus questions naming form questions (422).
//!
//! The schemas are written as JSON because they are mostly constraint lists; the
//! shared fields are built once and the two bodies differ only as the handlers do:
//! create requires `page_id`, `title` and `kind`; PATCH never takes `page_id`
//! (a contest does not move between pages: `422 page_locked`).

use std::borrow::Cow;

use serde_json::{json, Map, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

/// Text without control characters other than tab, CR and LF (`domain::input::text`).
pub const NO_CONTROL: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";
/// The same, with at least one character that is not whitespace (a required text).
pub const NON_BLANK: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";
/// Form labels and choices: not blank, no control, line or bidi control characters
/// (`domain::entry_form::text::forbidden_char`).
const FORM_TEXT: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028-\\u202E\\u2066-\\u2069]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u2028-\\u202E\\u2066-\\u2069][^\\u0000-\\u001F\\u007F-\\u009F\\u2028-\\u202E\\u2066-\\u2069]*$";

/// A Graph object id (`platform::facebook::graph::target::check_id`): 1..=128 of
/// `A-Za-z0-9_.:-`, not `.` or `..`; surrounding whitespace is trimmed.
const LINKED_POST_ID: &str = "^\\s*([A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,127}|\\.[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,126}|\\.\\.[A-Za-z0-9_.:-]{1,126})\\s*$";

/// Body of `POST /api/v1/contests`.
pub struct NewContest;
/// Body of `PATCH /api/v1/contests/{id}`.
pub struct ContestChanges;

impl utoipa::PartialSchema for NewContest {
    fn schema() -> RefOr<Schema> {
        body(true)
    }
}

impl utoipa::ToSchema for NewContest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("NewContest")
    }
}

impl utoipa::PartialSchema for ContestChanges {
    fn schema() -> RefOr<Schema> {
        body(false)
    }
}

impl utoipa::ToSchema for ContestChanges {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ContestChanges")
    }
}

/// `T` or JSON null: null clears a nullable column, or (for plain fields) is
/// read as "leave it alone", exactly as `ContestInput` deserialises it.
fn or_null(mut schema: Value) -> Value {
    if let Some(Value::String(t)) = schema.get("type").cloned() {
        schema["type"] = json!([t, "null"]);
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.push(Value::Null);
    }
    schema
}

fn text(pattern: &str, max: usize, description: &str) -> Value {
    json!({"type": "string", "pattern": pattern, "maxLength": max, "description": description})
}

fn body(create: bool) -> RefOr<Schema> {
    RefOr::T(
        serde_json::from_value(body_json(create))
            .expect("the contest body schema is valid OpenAPI"),
    )
}

fn body_json(create: bool) -> Value {
    let mut props = Map::new();
    let kind = json!({"type": "string", "enum": ["ugc", "sweepstakes", "comment_to_enter"],
        "description": "Changes only while the contest is a draft (otherwise 409 kind_locked)."});
    let title = text(NON_BLANK, 200, "1..=200 characters after trimming.");
    if create {
        props.insert(
            "page_id".into(),
            json!({"type": "integer", "format": "int64",
                   "description": "One of the admin's pages (404 otherwise)."}),
        );
        props.insert("kind".into(), kind);
        props.insert("title".into(), title);
    } else {
        props.insert("kind".into(), or_null(kind));
        props.insert("title".into(), or_null(title));
    }
    let optional = [
        (
            "description",
            text(NO_CONTROL, 5000, "At most 5000 characters."),
        ),
        ("prize", text(NO_CONTROL, 500, "At most 500 characters.")),
        (
            "rules_text",
            text(
                NO_CONTROL,
                50_000,
                "At most 50000 characters; its hash versions the rules entrants accept.",
            ),
        ),
        (
            "min_age",
            json!({"type": "integer", "format": "int32", "minimum": 0, "maximum": 120,
            "description": "Null: no age requirement."}),
        ),
        (
            "allowed_countries",
            json!({"type": "array", "items": {"type": "string", "enum": country_codes()},
            "description": "ISO 3166-1 alpha-2 codes; null or empty: every country."}),
        ),
        (
            "entry_limit",
            json!({"type": "string", "enum": ["once", "daily"]}),
        ),
        (
            "vote_limit",
            json!({"type": "string", "enum": ["once", "daily"]}),
        ),
        (
            "time_zone",
            json!({"type": "string", "enum": time_zones(), "description": "IANA time zone; UTC when never set."}),
        ),
        (
            "opens_at",
            json!({"type": "string", "format": "date-time",
            "description": "RFC 3339 (a local `YYYY-MM-DDTHH:MM[:SS]` in the contest's time zone is also read). \
                            Must be before `closes_at` (409 invalid_schedule)."}),
        ),
        (
            "closes_at",
            json!({"type": "string", "format": "date-time",
            "description": "As `opens_at`."}),
        ),
        ("auto_approve", json!({"type": "boolean"})),
        ("voting_enabled", json!({"type": "boolean"})),
        ("form_schema", form_schema()),
        (
            "linked_post_id",
            json!({"type": "string", "pattern": LINKED_POST_ID,
            "description": "The Facebook post whose comments are entries (comment_to_enter), e.g. `123_456`."}),
        ),
        ("point_rules", point_rules()),
        (
            "points_per_bonus_entry",
            json!({"type": "integer", "format": "int32", "minimum": 1, "maximum": 1_000_000,
            "description": "Points per bonus draw entry; null turns bonus entries off."}),
        ),
    ];
    for (name, schema) in optional {
        props.insert(name.into(), or_null(schema));
    }
    let mut schema = json!({
        "type": "object",
        "properties": props,
        "additionalProperties": false,
    });
    if create {
        schema["required"] = json!(["page_id", "title", "kind"]);
        schema["description"] = json!("A new draft contest. Absent fields take their defaults.");
    } else {
        schema["description"] = json!(
            "Absent fields are left alone; null clears a nullable field. `page_id` is not \
             accepted: a contest never moves to another page (422 page_locked)."
        );
    }
    schema
}

fn country_codes() -> Vec<&'static str> {
    crate::domain::entry_form::COUNTRIES
        .iter()
        .map(|(code, _)| *code)
        .collect()
}

fn time_zones() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect()
}

/// `domain::entry_form::FormSchema`. Question ids must also be unique, and the
/// choices of a question distinct ignoring case (422 invalid_form_schema).
fn form_schema() -> Value {
    let visibility = json!({"type": "string", "enum": ["required", "optional", "hidden"]});
    let fields: Map<String, Value> = [
        "name",
        "email",
        "postal_code",
        "phone",
        "birth_date",
        "country",
    ]
    .iter()
    .map(|f| (f.to_string(), visibility.clone()))
    .collect();
    let common = |kind: &str| {
        json!({
            "id": {"type": "string", "pattern": "^[a-z0-9_]{1,40}$"},
            "label": {"type": "string", "pattern": FORM_TEXT, "maxLength": 200},
            "kind": {"type": "string", "enum": [kind]},
            "visibility": {"type": "string", "enum": ["required", "optional"]},
        })
    };
    let mut text_q = common("text");
    text_q["max_length"] = json!({"type": "integer", "minimum": 1, "maximum": 2000});
    let mut choice_q = common("choice");
    choice_q["choices"] = json!({"type": "array", "minItems": 2, "maxItems": 20,
        "items": {"type": "string", "pattern": FORM_TEXT, "maxLength": 100}});
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": "The entry form: standard fields' visibility, up to 10 custom questions \
                        (ids unique), an optional marketing opt-in.",
        "properties": {
            "fields": {"type": "object", "additionalProperties": false, "properties": fields},
            "questions": {"type": "array", "maxItems": 10, "items": {"oneOf": [
                {"type": "object", "additionalProperties": false,
                 "required": ["id", "label", "kind"], "properties": text_q},
                {"type": "object", "additionalProperties": false,
                 "required": ["id", "label", "kind", "choices"], "properties": choice_q},
            ]}},
            "marketing": {"type": "object", "additionalProperties": false,
                "required": ["text", "version"],
                "properties": {
                    "text": {"type": "string", "pattern": FORM_TEXT, "maxLength": 1000},
                    "version": {"type": "string", "pattern": FORM_TEXT, "maxLength": 64},
                }},
        },
    })
}

/// `domain::points::PointRules`. `bonus_question.questions` must name questions of
/// the contest's form (422 invalid_point_rules).
fn point_rules() -> Value {
    let cap = json!({"type": ["integer", "null"], "format": "int64", "minimum": 1, "maximum": crate::domain::points::MAX_CAP});
    let points = json!({"type": "integer", "format": "int32", "minimum": 0, "maximum": crate::domain::points::MAX_POINTS});
    let rule = json!({
        "type": "object", "additionalProperties": false, "required": ["points"],
        "properties": {"points": points, "per_day": cap, "per_contact": cap},
    });
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": "Points per reason, each with optional caps per day and per contact.",
        "properties": {
            "entry": rule,
            "referral_conversion": rule,
            "vote_received": rule,
            "daily_visit": rule,
            "bonus_question": {
                "type": "object", "additionalProperties": false, "required": ["points"],
                "description": "Points for answering form questions: `questions` maps a question id \
                                of this contest's form to the paying answer (null: any answer); \
                                with points above 0 it names at least one question.",
                "properties": {
                    "points": points, "per_day": cap, "per_contact": cap,
                    "questions": {"type": "object",
                        "additionalProperties": {"type": ["string", "null"], "pattern": "\\S", "maxLength": 200}},
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// utoipa's schema model silently drops keywords it does not know (`const`,
    /// `not`): the document must say every constraint written above.
    #[test]
    fn no_keyword_is_lost_on_the_way_into_the_document() {
        for create in [true, false] {
            assert_eq!(
                serde_json::to_value(body(create)).unwrap(),
                body_json(create)
            );
        }
    }

    #[test]
    fn create_requires_the_three_fields_and_patch_has_no_page_id() {
        let create = serde_json::to_value(body(true)).unwrap();
        assert_eq!(create["required"], json!(["page_id", "title", "kind"]));
        let patch = serde_json::to_value(body(false)).unwrap();
        assert!(patch.get("required").is_none());
        assert!(patch["properties"].get("page_id").is_none());
        assert_eq!(patch["additionalProperties"], json!(false));
        // Every documented time zone and country is one the validation accepts.
        for tz in time_zones() {
            crate::domain::contest::parse_time_zone(tz).unwrap();
        }
        for c in country_codes() {
            assert!(crate::domain::entry_form::country_name(c).is_some());
        }
    }
}
