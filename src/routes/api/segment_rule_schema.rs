//! The rule language of custom segments (`domain::segment_rules`) as a JSON
//! Schema, `#/components/schemas/SegmentRule`, so the documented body of
//! `POST /api/v1/segments` says which rules are accepted instead of "any object".
//! Built from the same field catalogue and operator lists the parser uses, so a
//! new field or operator shows up here by itself. Two limits are not JSON Schema
//! (nesting depth and node count across the tree); they are in the description
//! and answered 422 `invalid_rule`.

use std::borrow::Cow;

use serde_json::{json, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

use crate::domain::segment_rules::{
    FieldType, Op, FIELDS, MAX_DEPTH, MAX_IN_LIST, MAX_NODES, MAX_TEXT_LEN,
};

/// `value` schema documentation type for the `rule` field.
pub struct SegmentRule;

const SELF: &str = "#/components/schemas/SegmentRule";

impl utoipa::PartialSchema for SegmentRule {
    fn schema() -> RefOr<Schema> {
        RefOr::T(
            serde_json::from_value(rule_json()).expect("the segment rule schema is valid OpenAPI"),
        )
    }
}

impl utoipa::ToSchema for SegmentRule {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("SegmentRule")
    }
}

fn fields_of(ty: Option<FieldType>) -> Vec<&'static str> {
    FIELDS
        .iter()
        .filter(|f| ty.is_none_or(|t| f.ty == t))
        .map(|f| f.name)
        .collect()
}

fn names(ops: &[Op]) -> Vec<&'static str> {
    ops.iter().map(|op| op.name()).collect()
}

fn condition(
    fields: Vec<&'static str>,
    ops: Vec<&'static str>,
    value: Value,
    value_required: bool,
) -> Value {
    let required = if value_required {
        json!(["field", "op", "value"])
    } else {
        json!(["field", "op"])
    };
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": {
            "field": {"type": "string", "enum": fields},
            "op": {"type": "string", "enum": ops},
            "value": value,
        },
    })
}

fn group(name: &str) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": [name],
        "properties": {name: {"type": "array", "minItems": 1, "items": {"$ref": SELF}}},
    })
}

fn rule_json() -> Value {
    use FieldType::{Bool, Number, Text};
    let text = json!({"type": "string", "maxLength": MAX_TEXT_LEN, "pattern": "^[^\\u0000]*$"});
    let number = json!({"type": "number"});
    let text_ops = [Op::Eq, Op::Neq, Op::StartsWith, Op::Contains];
    let number_ops = [Op::Eq, Op::Neq, Op::Gt, Op::Gte, Op::Lt, Op::Lte];
    json!({
        "description": format!(
            "A custom segment rule: `all`/`any` of rules, `not` a rule, or a condition on a \
             contact field. At most {MAX_DEPTH} levels of nesting and {MAX_NODES} rules in all \
             (422 invalid_rule, `details.path` says where). `between` takes two numbers in either \
             order, both bounds inclusive; `exists` defaults to true."
        ),
        "oneOf": [
            group("all"),
            group("any"),
            {"type": "object", "additionalProperties": false, "required": ["not"],
             "properties": {"not": {"$ref": SELF}}},
            condition(fields_of(Some(Text)), names(&text_ops), text.clone(), true),
            condition(fields_of(Some(Text)), names(&[Op::In]),
                json!({"type": "array", "minItems": 1, "maxItems": MAX_IN_LIST, "items": text}), true),
            condition(fields_of(Some(Number)), names(&number_ops), number.clone(), true),
            condition(fields_of(Some(Number)), names(&[Op::Between]),
                json!({"type": "array", "minItems": 2, "maxItems": 2, "items": number}), true),
            condition(fields_of(Some(Bool)), names(&[Op::Eq]), json!({"type": "boolean"}), true),
            condition(fields_of(None), names(&[Op::Exists]), json!({"type": "boolean"}), false),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_keyword_is_lost_on_the_way_into_the_document() {
        let doc = serde_json::to_value(<SegmentRule as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(doc, rule_json());
    }

    /// Every operator of every field type is documented exactly once.
    #[test]
    fn the_schema_covers_every_operator_of_every_type() {
        let doc = rule_json();
        for spec in FIELDS {
            for op in spec.ty.operators() {
                let branches = doc["oneOf"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|b| {
                        let p = &b["properties"];
                        p["field"]["enum"]
                            .as_array()
                            .is_some_and(|f| f.contains(&json!(spec.name)))
                            && p["op"]["enum"]
                                .as_array()
                                .is_some_and(|o| o.contains(&json!(op.name())))
                    })
                    .count();
                assert_eq!(branches, 1, "{} {}", spec.name, op.name());
            }
        }
    }
}
