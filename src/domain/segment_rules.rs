//! Custom segment rules: which contacts belong to an admin-defined segment.
//!
//! # The rule language
//!
//! A rule is a JSON object of one of these forms:
//!
//! | Form | Matches a contact when |
//! |---|---|
//! | `{"all": [rule, …]}` | every rule in the list matches (at least one rule) |
//! | `{"any": [rule, …]}` | at least one rule in the list matches (at least one rule) |
//! | `{"not": rule}` | the rule does not match |
//! | `{"field": F, "op": OP, "value": V}` | the contact's value of field `F` passes `OP` with `V` |
//!
//! For example, "postal code starting with 94, sentiment above 0.3, and either
//! 3 or more shares or outside the US and Canada":
//!
//! ```json
//! {"all": [
//!   {"field": "postal_code", "op": "starts_with", "value": "94"},
//!   {"field": "sentiment", "op": "gt", "value": 0.3},
//!   {"any": [
//!     {"field": "shares", "op": "gte", "value": 3},
//!     {"not": {"field": "country", "op": "in", "value": ["US", "CA"]}}
//!   ]}
//! ]}
//! ```
//!
//! **Fields** ([`FIELDS`]) and their operators:
//!
//! | Type | Fields | Operators and value |
//! |---|---|---|
//! | text | `postal_code`, `country`, `locale`, `email_domain`, `first_source`, `segment` | `eq`, `neq`, `starts_with`, `contains`: a string; `in`: a list of strings; `exists` |
//! | numeric | `sentiment`, `advocacy`, `reach`, `points`, `entries`, `votes_cast`, `votes_received`, `referral_clicks`, `referral_conversions`, `shares`, `comments`, `reactions`, `mentions`, `page_views`, `age_min`, `age_max` | `eq`, `neq`, `gt`, `gte`, `lt`, `lte`: a number; `between`: `[low, high]`, both inclusive (the two bounds may come in either order); `exists` |
//! | boolean | `marketing_opt_in`, `has_email` | `eq`: `true` or `false`; `exists` |
//!
//! `exists` takes `"value": true` (the contact has a value for the field; the
//! default when `value` is left out) or `"value": false` (it has none).
//!
//! **Missing values.** A contact without a value for a field matches no
//! condition on that field except `exists` with `false`. So `neq` does not
//! match a missing value, but `{"not": {…eq…}}` does: `not` is plain logical
//! negation of its rule.
//!
//! **Text** comparisons are exact and case-sensitive (`"US"` is not `"us"`);
//! `starts_with` and `contains` take their value literally (`%` and `_` are
//! not wildcards).
//!
//! **Limits.** At most 8 levels of nesting, 100 rules (groups and
//! conditions) in all, 200 characters per text value, 200 values in an `in` list.
//! Text values cannot contain the NUL character.
//!
//! **Errors** name the JSON path of the offending node, e.g.
//! `$.all[1].op: unknown operator "gtt"; expected one of eq, neq, gt, gte, lt, lte, between, exists`.
//!
//! # For developers
//!
//! [`Rule::parse`] validates a `serde_json::Value` into a [`Rule`] tree (also
//! available as `Deserialize`; `Serialize` writes the canonical JSON back).
//! [`Rule::evaluate`] tests one contact through the [`ContactFacts`] trait, and
//! [`Rule::to_sql`] compiles the tree into a SQL boolean expression with bind
//! parameters, for the db layer to run.
//!
//! `evaluate` and `to_sql` agree: every condition compiles to a two-valued SQL
//! expression (`col IS NOT NULL AND col <op> $n`, or `col IS [NOT] NULL` for
//! `exists`), so SQL's three-valued logic never leaks through `NOT`, and a
//! contact whose columns hold the same values as its [`ContactFacts`] (SQL NULL
//! for `None`) is selected by the SQL exactly when `evaluate` returns true.
//! This holds for text columns of type `text`/`varchar` under a deterministic
//! collation, and finite numbers (PostgreSQL orders `NaN` above every number;
//! the db layer stores none). Numeric binds are `f64`, so numeric columns are
//! compared as `double precision`.

use std::fmt;

use serde_json::{Map, Value};

/// Deepest nesting accepted (the root is level 1).
pub const MAX_DEPTH: usize = 8;
/// Most rule nodes (groups and conditions) in one tree.
pub const MAX_NODES: usize = 100;
/// Longest text value, in characters (what JSON Schema's `maxLength` counts, so
/// the documented API schema can state it exactly).
pub const MAX_TEXT_LEN: usize = 200;
/// Most values in an `in` list.
pub const MAX_IN_LIST: usize = 200;

/// The type of a contact field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Text,
    Number,
    Bool,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "numeric",
            FieldType::Bool => "boolean",
        }
    }

    /// Operators that apply to fields of this type.
    pub fn operators(self) -> &'static [Op] {
        use Op::*;
        match self {
            FieldType::Text => &[Eq, Neq, StartsWith, Contains, In, Exists],
            FieldType::Number => &[Eq, Neq, Gt, Gte, Lt, Lte, Between, Exists],
            FieldType::Bool => &[Eq, Exists],
        }
    }
}

/// One entry of the field catalogue.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
}

const fn text(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty: FieldType::Text,
    }
}
const fn num(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty: FieldType::Number,
    }
}
const fn boolean(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty: FieldType::Bool,
    }
}

/// The fields a rule may test.
pub const FIELDS: &[FieldSpec] = &[
    text("postal_code"),
    text("country"),
    text("locale"),
    text("email_domain"),
    text("first_source"),
    text("segment"),
    num("sentiment"),
    num("advocacy"),
    num("reach"),
    num("points"),
    num("entries"),
    num("votes_cast"),
    num("votes_received"),
    num("referral_clicks"),
    num("referral_conversions"),
    num("shares"),
    num("comments"),
    num("reactions"),
    num("mentions"),
    num("page_views"),
    num("poll_actions"),
    num("age_min"),
    num("age_max"),
    boolean("marketing_opt_in"),
    boolean("has_email"),
];

/// The catalogue entry for `name`.
pub fn field(name: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.name == name)
}

/// A comparison operator, as spelled in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Between,
    StartsWith,
    Contains,
    In,
    Exists,
}

impl Op {
    pub const ALL: [Op; 11] = [
        Op::Eq,
        Op::Neq,
        Op::Gt,
        Op::Gte,
        Op::Lt,
        Op::Lte,
        Op::Between,
        Op::StartsWith,
        Op::Contains,
        Op::In,
        Op::Exists,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Neq => "neq",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Between => "between",
            Op::StartsWith => "starts_with",
            Op::Contains => "contains",
            Op::In => "in",
            Op::Exists => "exists",
        }
    }

    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// A validated rule tree. Build it with [`Rule::parse`].
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    All(Vec<Rule>),
    Any(Vec<Rule>),
    Not(Box<Rule>),
    Condition(Condition),
}

/// One test of one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: &'static FieldSpec,
    pub predicate: Predicate,
}

/// A type-checked operator with its value.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// `exists`: true when the contact has a value (or has none, with `false`).
    Exists(bool),
    TextEq(String),
    TextNeq(String),
    StartsWith(String),
    Contains(String),
    In(Vec<String>),
    NumEq(f64),
    NumNeq(f64),
    Gt(f64),
    Gte(f64),
    Lt(f64),
    Lte(f64),
    /// Inclusive at both ends; low <= high.
    Between(f64, f64),
    BoolEq(bool),
}

impl Predicate {
    pub fn op(&self) -> Op {
        match self {
            Predicate::Exists(_) => Op::Exists,
            Predicate::TextEq(_) | Predicate::NumEq(_) | Predicate::BoolEq(_) => Op::Eq,
            Predicate::TextNeq(_) | Predicate::NumNeq(_) => Op::Neq,
            Predicate::StartsWith(_) => Op::StartsWith,
            Predicate::Contains(_) => Op::Contains,
            Predicate::In(_) => Op::In,
            Predicate::Gt(_) => Op::Gt,
            Predicate::Gte(_) => Op::Gte,
            Predicate::Lt(_) => Op::Lt,
            Predicate::Lte(_) => Op::Lte,
            Predicate::Between(..) => Op::Between,
        }
    }
}

// ---------------------------------------------------------------------------
// Errors

/// A rule that does not validate: where (a JSON path such as `$.all[1].op`)
/// and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {kind}")]
pub struct RuleError {
    pub path: String,
    pub kind: RuleErrorKind,
}

/// What is wrong with a rule node. Strings taken from the input are shortened
/// to 40 characters in messages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleErrorKind {
    #[error(
        "expected a rule object ({{\"all\": […]}}, {{\"any\": […]}}, {{\"not\": …}} or \
         {{\"field\": …, \"op\": …, \"value\": …}}), found {found}"
    )]
    NotARule { found: &'static str },
    #[error("unexpected key {key} beside \"{group}\"; a group object has exactly one key")]
    KeyBesideGroup { group: &'static str, key: String },
    #[error(
        "unknown key {key}; a condition has \"field\", \"op\" and \"value\", a group is \
         \"all\", \"any\" or \"not\""
    )]
    UnknownKey { key: String },
    #[error("missing \"{key}\"")]
    MissingKey { key: &'static str },
    #[error("expected {expected}, found {found}")]
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    #[error("a group needs at least one rule")]
    EmptyGroup,
    #[error("unknown field {field}; expected one of {}", field_names())]
    UnknownField { field: String },
    #[error("unknown operator {op}; expected one of {}", op_names(.expected))]
    UnknownOperator { op: String, expected: &'static [Op] },
    #[error(
        "operator \"{}\" does not apply to {} field \"{field}\"; expected one of {}",
        .op.name(), .ty.name(), op_names(.ty.operators())
    )]
    OperatorNotForType {
        op: Op,
        field: &'static str,
        ty: FieldType,
    },
    #[error("text is longer than {max} characters")]
    TextTooLong { max: usize },
    #[error("text contains a NUL character")]
    NulInText,
    #[error("the \"in\" list is empty")]
    EmptyList,
    #[error("the \"in\" list has more than {max} values")]
    ListTooLong { max: usize },
    #[error("\"between\" takes [low, high]: a list of two numbers")]
    BetweenShape,
    #[error("rules nest deeper than {max} levels")]
    TooDeep { max: usize },
    #[error("more than {max} rules in one tree")]
    TooManyNodes { max: usize },
}

fn field_names() -> String {
    FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

fn op_names(ops: &[Op]) -> String {
    ops.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ")
}

/// `s` quoted, control characters escaped, cut to 40 characters.
fn shown(s: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        if i == 40 {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------
// Parsing

struct Parser {
    nodes: usize,
}

fn err(path: &str, kind: RuleErrorKind) -> RuleError {
    RuleError {
        path: path.to_owned(),
        kind,
    }
}

impl Rule {
    /// Validate a JSON rule tree. Never panics and recurses at most
    /// [`MAX_DEPTH`] levels, whatever the input.
    pub fn parse(value: &Value) -> Result<Rule, RuleError> {
        Parser { nodes: 0 }.rule(value, "$", 1)
    }
}

impl Parser {
    fn rule(&mut self, value: &Value, path: &str, depth: usize) -> Result<Rule, RuleError> {
        if depth > MAX_DEPTH {
            return Err(err(path, RuleErrorKind::TooDeep { max: MAX_DEPTH }));
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(err(path, RuleErrorKind::TooManyNodes { max: MAX_NODES }));
        }
        let Value::Object(obj) = value else {
            return Err(err(
                path,
                RuleErrorKind::NotARule {
                    found: type_name(value),
                },
            ));
        };
        for group in ["all", "any", "not"] {
            if let Some(inner) = obj.get(group) {
                if let Some(key) = obj.keys().find(|k| k.as_str() != group) {
                    return Err(err(
                        &format!("{path}.{group}"),
                        RuleErrorKind::KeyBesideGroup {
                            group,
                            key: shown(key),
                        },
                    ));
                }
                let here = format!("{path}.{group}");
                return match group {
                    "not" => Ok(Rule::Not(Box::new(self.rule(inner, &here, depth + 1)?))),
                    _ => {
                        let rules = self.group(inner, &here, depth)?;
                        Ok(if group == "all" {
                            Rule::All(rules)
                        } else {
                            Rule::Any(rules)
                        })
                    }
                };
            }
        }
        self.condition(obj, path).map(Rule::Condition)
    }

    fn group(&mut self, value: &Value, path: &str, depth: usize) -> Result<Vec<Rule>, RuleError> {
        let Value::Array(items) = value else {
            return Err(err(
                path,
                RuleErrorKind::WrongType {
                    expected: "a list of rules",
                    found: type_name(value),
                },
            ));
        };
        if items.is_empty() {
            return Err(err(path, RuleErrorKind::EmptyGroup));
        }
        if self.nodes + items.len() > MAX_NODES {
            return Err(err(path, RuleErrorKind::TooManyNodes { max: MAX_NODES }));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.rule(item, &format!("{path}[{i}]"), depth + 1))
            .collect()
    }

    fn condition(&mut self, obj: &Map<String, Value>, path: &str) -> Result<Condition, RuleError> {
        if let Some(key) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "field" | "op" | "value"))
        {
            return Err(err(
                &format!("{path}{}", member(key)),
                RuleErrorKind::UnknownKey { key: shown(key) },
            ));
        }
        let field_path = format!("{path}.field");
        let name = string_member(obj, "field", path)?;
        let spec = field(name).ok_or_else(|| {
            err(
                &field_path,
                RuleErrorKind::UnknownField { field: shown(name) },
            )
        })?;
        let op_path = format!("{path}.op");
        let op_name = string_member(obj, "op", path)?;
        let op = Op::from_name(op_name).ok_or_else(|| {
            err(
                &op_path,
                RuleErrorKind::UnknownOperator {
                    op: shown(op_name),
                    expected: spec.ty.operators(),
                },
            )
        })?;
        if !spec.ty.operators().contains(&op) {
            return Err(err(
                &op_path,
                RuleErrorKind::OperatorNotForType {
                    op,
                    field: spec.name,
                    ty: spec.ty,
                },
            ));
        }
        let value_path = format!("{path}.value");
        let predicate = match (op, obj.get("value")) {
            (Op::Exists, None) => Predicate::Exists(true),
            (Op::Exists, Some(v)) => Predicate::Exists(as_bool(v, &value_path)?),
            (_, None) => return Err(err(path, RuleErrorKind::MissingKey { key: "value" })),
            (Op::In, Some(v)) => Predicate::In(text_list(v, &value_path)?),
            (Op::Between, Some(v)) => {
                let (low, high) = bounds(v, &value_path)?;
                Predicate::Between(low, high)
            }
            (op, Some(v)) => match spec.ty {
                FieldType::Text => {
                    let s = as_text(v, &value_path)?;
                    match op {
                        Op::Eq => Predicate::TextEq(s),
                        Op::Neq => Predicate::TextNeq(s),
                        Op::StartsWith => Predicate::StartsWith(s),
                        _ => Predicate::Contains(s),
                    }
                }
                FieldType::Number => {
                    let x = as_number(v, &value_path)?;
                    match op {
                        Op::Eq => Predicate::NumEq(x),
                        Op::Neq => Predicate::NumNeq(x),
                        Op::Gt => Predicate::Gt(x),
                        Op::Gte => Predicate::Gte(x),
                        Op::Lt => Predicate::Lt(x),
                        _ => Predicate::Lte(x),
                    }
                }
                FieldType::Bool => Predicate::BoolEq(as_bool(v, &value_path)?),
            },
        };
        Ok(Condition {
            field: spec,
            predicate,
        })
    }
}

/// `.key` for plain keys, `["key"]` (escaped, shortened) otherwise.
fn member(key: &str) -> String {
    if !key.is_empty()
        && key.len() <= 40
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        format!(".{key}")
    } else {
        format!("[{}]", shown(key))
    }
}

fn string_member<'a>(
    obj: &'a Map<String, Value>,
    key: &'static str,
    path: &str,
) -> Result<&'a str, RuleError> {
    match obj.get(key) {
        None => Err(err(path, RuleErrorKind::MissingKey { key })),
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(err(
            &format!("{path}.{key}"),
            RuleErrorKind::WrongType {
                expected: "a string",
                found: type_name(v),
            },
        )),
    }
}

fn as_bool(v: &Value, path: &str) -> Result<bool, RuleError> {
    v.as_bool().ok_or_else(|| {
        err(
            path,
            RuleErrorKind::WrongType {
                expected: "true or false",
                found: type_name(v),
            },
        )
    })
}

fn as_number(v: &Value, path: &str) -> Result<f64, RuleError> {
    match v.as_f64() {
        Some(x) if x.is_finite() => Ok(x),
        _ => Err(err(
            path,
            RuleErrorKind::WrongType {
                expected: "a number",
                found: type_name(v),
            },
        )),
    }
}

fn as_text(v: &Value, path: &str) -> Result<String, RuleError> {
    let Value::String(s) = v else {
        return Err(err(
            path,
            RuleErrorKind::WrongType {
                expected: "a string",
                found: type_name(v),
            },
        ));
    };
    if s.chars().count() > MAX_TEXT_LEN {
        return Err(err(path, RuleErrorKind::TextTooLong { max: MAX_TEXT_LEN }));
    }
    if s.contains('\0') {
        return Err(err(path, RuleErrorKind::NulInText));
    }
    Ok(s.clone())
}

fn text_list(v: &Value, path: &str) -> Result<Vec<String>, RuleError> {
    let Value::Array(items) = v else {
        return Err(err(
            path,
            RuleErrorKind::WrongType {
                expected: "a list of strings",
                found: type_name(v),
            },
        ));
    };
    if items.is_empty() {
        return Err(err(path, RuleErrorKind::EmptyList));
    }
    if items.len() > MAX_IN_LIST {
        return Err(err(path, RuleErrorKind::ListTooLong { max: MAX_IN_LIST }));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| as_text(item, &format!("{path}[{i}]")))
        .collect()
}

fn bounds(v: &Value, path: &str) -> Result<(f64, f64), RuleError> {
    let pair = match v {
        Value::Array(items) if items.len() == 2 => items,
        _ => return Err(err(path, RuleErrorKind::BetweenShape)),
    };
    let low = as_number(&pair[0], &format!("{path}[0]"))?;
    let high = as_number(&pair[1], &format!("{path}[1]"))?;
    // `[24, 18]` names the same range as `[18, 24]`: it is read as that, not
    // refused, so every pair of numbers is a rule (as the API schema says).
    Ok((low.min(high), low.max(high)))
}

// ---------------------------------------------------------------------------
// Canonical JSON

impl Rule {
    /// The canonical JSON form; [`Rule::parse`] of it gives the same rule.
    pub fn to_json(&self) -> Value {
        use serde_json::json;
        match self {
            Rule::All(rules) => {
                json!({ "all": rules.iter().map(Rule::to_json).collect::<Vec<_>>() })
            }
            Rule::Any(rules) => {
                json!({ "any": rules.iter().map(Rule::to_json).collect::<Vec<_>>() })
            }
            Rule::Not(rule) => json!({ "not": rule.to_json() }),
            Rule::Condition(c) => {
                let value = match &c.predicate {
                    Predicate::Exists(b) | Predicate::BoolEq(b) => json!(b),
                    Predicate::TextEq(s)
                    | Predicate::TextNeq(s)
                    | Predicate::StartsWith(s)
                    | Predicate::Contains(s) => json!(s),
                    Predicate::In(list) => json!(list),
                    Predicate::NumEq(x)
                    | Predicate::NumNeq(x)
                    | Predicate::Gt(x)
                    | Predicate::Gte(x)
                    | Predicate::Lt(x)
                    | Predicate::Lte(x) => json!(x),
                    Predicate::Between(low, high) => json!([low, high]),
                };
                json!({ "field": c.field.name, "op": c.predicate.op().name(), "value": value })
            }
        }
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Rule::parse(&value).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------
// Evaluation

/// A contact's values, by catalogue field name. `None` means the contact has
/// no value for the field.
pub trait ContactFacts {
    fn text(&self, field: &str) -> Option<&str>;
    fn number(&self, field: &str) -> Option<f64>;
    fn boolean(&self, field: &str) -> Option<bool>;
}

impl Rule {
    /// Whether a contact matches the rule.
    pub fn evaluate<F: ContactFacts + ?Sized>(&self, facts: &F) -> bool {
        match self {
            Rule::All(rules) => rules.iter().all(|r| r.evaluate(facts)),
            Rule::Any(rules) => rules.iter().any(|r| r.evaluate(facts)),
            Rule::Not(rule) => !rule.evaluate(facts),
            Rule::Condition(c) => c.evaluate(facts),
        }
    }
}

impl Condition {
    pub fn evaluate<F: ContactFacts + ?Sized>(&self, facts: &F) -> bool {
        let name = self.field.name;
        let text = || facts.text(name);
        let num = |test: &dyn Fn(f64) -> bool| facts.number(name).is_some_and(test);
        match &self.predicate {
            Predicate::Exists(want) => {
                let present = match self.field.ty {
                    FieldType::Text => facts.text(name).is_some(),
                    FieldType::Number => facts.number(name).is_some(),
                    FieldType::Bool => facts.boolean(name).is_some(),
                };
                present == *want
            }
            Predicate::TextEq(v) => text().is_some_and(|t| t == v),
            Predicate::TextNeq(v) => text().is_some_and(|t| t != v),
            Predicate::StartsWith(v) => text().is_some_and(|t| t.starts_with(v.as_str())),
            Predicate::Contains(v) => text().is_some_and(|t| t.contains(v.as_str())),
            Predicate::In(list) => text().is_some_and(|t| list.iter().any(|v| v == t)),
            Predicate::NumEq(v) => num(&|x| x == *v),
            Predicate::NumNeq(v) => num(&|x| x != *v),
            Predicate::Gt(v) => num(&|x| x > *v),
            Predicate::Gte(v) => num(&|x| x >= *v),
            Predicate::Lt(v) => num(&|x| x < *v),
            Predicate::Lte(v) => num(&|x| x <= *v),
            Predicate::Between(low, high) => num(&|x| *low <= x && x <= *high),
            Predicate::BoolEq(v) => facts.boolean(name) == Some(*v),
        }
    }
}

// ---------------------------------------------------------------------------
// SQL

/// A bind parameter of a [`SqlFragment`], in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlBind {
    /// Bind as `text`.
    Text(String),
    /// Bind as `double precision`.
    Number(f64),
    /// Bind as `boolean`.
    Bool(bool),
    /// Bind as `text[]`.
    TextList(Vec<String>),
}

/// A parenthesised SQL boolean expression and its binds: `binds[i]` is
/// placeholder `$(first + i)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFragment {
    pub sql: String,
    pub binds: Vec<SqlBind>,
}

/// Escape `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `E'\\'`: one backslash, whatever `standard_conforming_strings` says.
const LIKE_ESCAPE: &str = r"ESCAPE E'\\'";

impl Rule {
    /// Compile to SQL with placeholders from `$1`. `columns` maps a catalogue
    /// field name to its SQL column (or parenthesised expression); it is
    /// trusted code from the db layer and its result is the only text put into
    /// the SQL besides keywords and placeholders. Values are always binds.
    pub fn to_sql(&self, columns: &dyn Fn(&str) -> &'static str) -> SqlFragment {
        self.to_sql_from(columns, 1)
    }

    /// Like [`Rule::to_sql`], with the first placeholder `$first` (for
    /// fragments placed after other parameters of the same statement).
    pub fn to_sql_from(&self, columns: &dyn Fn(&str) -> &'static str, first: usize) -> SqlFragment {
        let mut out = SqlFragment {
            sql: String::new(),
            binds: Vec::new(),
        };
        self.write_sql(columns, first, &mut out);
        out
    }

    fn write_sql(
        &self,
        columns: &dyn Fn(&str) -> &'static str,
        first: usize,
        out: &mut SqlFragment,
    ) {
        match self {
            Rule::All(rules) | Rule::Any(rules) => {
                let joiner = if matches!(self, Rule::All(_)) {
                    " AND "
                } else {
                    " OR "
                };
                out.sql.push('(');
                for (i, rule) in rules.iter().enumerate() {
                    if i > 0 {
                        out.sql.push_str(joiner);
                    }
                    rule.write_sql(columns, first, out);
                }
                out.sql.push(')');
            }
            Rule::Not(rule) => {
                out.sql.push_str("(NOT ");
                rule.write_sql(columns, first, out);
                out.sql.push(')');
            }
            Rule::Condition(c) => c.write_sql(columns(c.field.name), first, out),
        }
    }
}

impl Condition {
    fn write_sql(&self, col: &str, first: usize, out: &mut SqlFragment) {
        use std::fmt::Write as _;
        let bind = |out: &mut SqlFragment, value: SqlBind| -> String {
            out.binds.push(value);
            format!("${}", first + out.binds.len() - 1)
        };
        let (cmp, value) = match &self.predicate {
            Predicate::Exists(true) => {
                let _ = write!(out.sql, "({col} IS NOT NULL)");
                return;
            }
            Predicate::Exists(false) => {
                let _ = write!(out.sql, "({col} IS NULL)");
                return;
            }
            Predicate::Between(low, high) => {
                let low = bind(out, SqlBind::Number(*low));
                let high = bind(out, SqlBind::Number(*high));
                let _ = write!(
                    out.sql,
                    "({col} IS NOT NULL AND {col} BETWEEN {low} AND {high})"
                );
                return;
            }
            Predicate::TextEq(s) => ("=", SqlBind::Text(s.clone())),
            Predicate::TextNeq(s) => ("<>", SqlBind::Text(s.clone())),
            Predicate::StartsWith(s) => ("LIKE", SqlBind::Text(format!("{}%", escape_like(s)))),
            Predicate::Contains(s) => ("LIKE", SqlBind::Text(format!("%{}%", escape_like(s)))),
            Predicate::In(list) => ("= ANY", SqlBind::TextList(list.clone())),
            Predicate::NumEq(x) => ("=", SqlBind::Number(*x)),
            Predicate::NumNeq(x) => ("<>", SqlBind::Number(*x)),
            Predicate::Gt(x) => (">", SqlBind::Number(*x)),
            Predicate::Gte(x) => (">=", SqlBind::Number(*x)),
            Predicate::Lt(x) => ("<", SqlBind::Number(*x)),
            Predicate::Lte(x) => ("<=", SqlBind::Number(*x)),
            Predicate::BoolEq(b) => ("=", SqlBind::Bool(*b)),
        };
        let placeholder = bind(out, value);
        let _ = match cmp {
            "LIKE" => write!(
                out.sql,
                "({col} IS NOT NULL AND {col} LIKE {placeholder} {LIKE_ESCAPE})"
            ),
            "= ANY" => write!(
                out.sql,
                "({col} IS NOT NULL AND {col} = ANY({placeholder}))"
            ),
            _ => write!(out.sql, "({col} IS NOT NULL AND {col} {cmp} {placeholder})"),
        };
    }
}

// ---------------------------------------------------------------------------
// Plain words

impl Rule {
    /// The rule in plain words, for people reading a list of segments:
    /// `entries at least 1 and (country is one of "SE", "NO" or not has email)`.
    /// Texts are quoted as typed; the caller escapes for its output.
    pub fn describe(&self) -> String {
        self.describe_nested(false)
    }

    fn describe_nested(&self, nested: bool) -> String {
        let group = |rules: &[Rule], joiner: &str| {
            let inner = rules
                .iter()
                .map(|r| r.describe_nested(true))
                .collect::<Vec<_>>()
                .join(joiner);
            if nested && rules.len() > 1 {
                format!("({inner})")
            } else {
                inner
            }
        };
        match self {
            Rule::All(rules) => group(rules, " and "),
            Rule::Any(rules) => group(rules, " or "),
            Rule::Not(rule) => format!("not {}", rule.describe_nested(true)),
            Rule::Condition(c) => c.describe(),
        }
    }
}

impl Condition {
    fn describe(&self) -> String {
        let field = self.field.name.replace('_', " ");
        let quoted = |t: &str| format!("\u{201c}{t}\u{201d}");
        let number = |n: f64| {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", n as i64)
            } else {
                format!("{n}")
            }
        };
        match &self.predicate {
            Predicate::Exists(true) => format!("{field} is known"),
            Predicate::Exists(false) => format!("{field} is unknown"),
            Predicate::TextEq(t) => format!("{field} is {}", quoted(t)),
            Predicate::TextNeq(t) => format!("{field} is not {}", quoted(t)),
            Predicate::StartsWith(t) => format!("{field} starts with {}", quoted(t)),
            Predicate::Contains(t) => format!("{field} contains {}", quoted(t)),
            Predicate::In(list) => format!(
                "{field} is one of {}",
                list.iter()
                    .map(|t| quoted(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Predicate::NumEq(n) => format!("{field} is {}", number(*n)),
            Predicate::NumNeq(n) => format!("{field} is not {}", number(*n)),
            Predicate::Gt(n) => format!("{field} more than {}", number(*n)),
            Predicate::Gte(n) => format!("{field} at least {}", number(*n)),
            Predicate::Lt(n) => format!("{field} less than {}", number(*n)),
            Predicate::Lte(n) => format!("{field} at most {}", number(*n)),
            Predicate::Between(lo, hi) => {
                format!("{field} between {} and {}", number(*lo), number(*hi))
            }
            Predicate::BoolEq(true) => field,
            Predicate::BoolEq(false) => format!("not {field}"),
        }
    }
}

impl fmt::Display for Rule {
    /// The canonical JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Rule {
        Rule::parse(&v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn describe_reads_as_plain_words() {
        let rule = parse(json!({"all": [
            {"field": "entries", "op": "gte", "value": 1},
            {"any": [
                {"field": "country", "op": "in", "value": ["SE", "NO"]},
                {"not": {"field": "has_email", "op": "eq", "value": true}}
            ]},
            {"field": "sentiment", "op": "between", "value": [-0.5, 0.25]}
        ]}));
        assert_eq!(
            rule.describe(),
            "entries at least 1 and (country is one of \u{201c}SE\u{201d}, \u{201c}NO\u{201d} \
             or not has email) and sentiment between -0.5 and 0.25"
        );
        assert_eq!(
            parse(json!({"field": "postal_code", "op": "exists", "value": false})).describe(),
            "postal code is unknown"
        );
        assert_eq!(
            parse(json!({"not": {"any": [
                {"field": "referral_conversions", "op": "gt", "value": 2},
                {"field": "marketing_opt_in", "op": "eq", "value": true}
            ]}}))
            .describe(),
            "not (referral conversions more than 2 or marketing opt in)"
        );
    }

    fn error(v: Value) -> String {
        match Rule::parse(&v) {
            Ok(rule) => panic!("accepted: {rule}"),
            Err(e) => e.to_string(),
        }
    }

    /// The column of each field is `c.<field>`.
    fn columns(field: &str) -> &'static str {
        match FIELDS.iter().position(|f| f.name == field) {
            Some(i) => COLUMNS[i],
            None => panic!("unknown field {field}"),
        }
    }

    const COLUMNS: [&str; 25] = [
        "c.postal_code",
        "c.country",
        "c.locale",
        "c.email_domain",
        "c.first_source",
        "c.segment",
        "c.sentiment",
        "c.advocacy",
        "c.reach",
        "c.points",
        "c.entries",
        "c.votes_cast",
        "c.votes_received",
        "c.referral_clicks",
        "c.referral_conversions",
        "c.shares",
        "c.comments",
        "c.reactions",
        "c.mentions",
        "c.page_views",
        "c.poll_actions",
        "c.age_min",
        "c.age_max",
        "c.marketing_opt_in",
        "c.has_email",
    ];

    #[derive(Default)]
    struct Facts {
        text: HashMap<&'static str, String>,
        number: HashMap<&'static str, f64>,
        boolean: HashMap<&'static str, bool>,
    }

    impl ContactFacts for Facts {
        fn text(&self, field: &str) -> Option<&str> {
            self.text.get(field).map(String::as_str)
        }
        fn number(&self, field: &str) -> Option<f64> {
            self.number.get(field).copied()
        }
        fn boolean(&self, field: &str) -> Option<bool> {
            self.boolean.get(field).copied()
        }
    }

    fn example() -> Value {
        json!({"all":[
            {"field":"postal_code","op":"starts_with","value":"94"},
            {"field":"sentiment","op":"gt","value":0.3},
            {"any":[
                {"field":"shares","op":"gte","value":3},
                {"not":{"field":"country","op":"in","value":["US","CA"]}}
            ]}
        ]})
    }

    #[test]
    fn the_catalogue_is_complete_and_unique() {
        assert_eq!(FIELDS.len(), 25);
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(field(f.name), Some(f));
            assert!(FIELDS[i + 1..].iter().all(|g| g.name != f.name));
        }
        assert_eq!(field("sentiment").unwrap().ty, FieldType::Number);
        assert_eq!(field("has_email").unwrap().ty, FieldType::Bool);
        assert_eq!(field("email_domain").unwrap().ty, FieldType::Text);
        for op in Op::ALL {
            assert_eq!(Op::from_name(op.name()), Some(op));
        }
    }

    #[test]
    fn parses_the_example_and_compiles_it() {
        let rule = parse(example());
        let Rule::All(parts) = &rule else {
            panic!("{rule:?}")
        };
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts[0],
            Rule::Condition(Condition {
                field: field("postal_code").unwrap(),
                predicate: Predicate::StartsWith("94".into()),
            })
        );
        let sql = rule.to_sql(&columns);
        assert_eq!(
            sql.sql,
            "((c.postal_code IS NOT NULL AND c.postal_code LIKE $1 ESCAPE E'\\\\') \
             AND (c.sentiment IS NOT NULL AND c.sentiment > $2) \
             AND ((c.shares IS NOT NULL AND c.shares >= $3) \
             OR (NOT (c.country IS NOT NULL AND c.country = ANY($4)))))"
        );
        assert_eq!(
            sql.binds,
            vec![
                SqlBind::Text("94%".into()),
                SqlBind::Number(0.3),
                SqlBind::Number(3.0),
                SqlBind::TextList(vec!["US".into(), "CA".into()]),
            ]
        );
        let shifted = rule.to_sql_from(&columns, 7);
        assert!(shifted.sql.contains("LIKE $7 ") && shifted.sql.contains("ANY($10)"));
        assert_eq!(shifted.binds, sql.binds);
    }

    #[test]
    fn every_operator_compiles() {
        let cases = [
            (
                json!({"field":"country","op":"eq","value":"US"}),
                "(c.country IS NOT NULL AND c.country = $1)",
                vec![SqlBind::Text("US".into())],
            ),
            (
                json!({"field":"country","op":"neq","value":"US"}),
                "(c.country IS NOT NULL AND c.country <> $1)",
                vec![SqlBind::Text("US".into())],
            ),
            (
                json!({"field":"locale","op":"contains","value":"fr"}),
                "(c.locale IS NOT NULL AND c.locale LIKE $1 ESCAPE E'\\\\')",
                vec![SqlBind::Text("%fr%".into())],
            ),
            (
                json!({"field":"segment","op":"exists"}),
                "(c.segment IS NOT NULL)",
                vec![],
            ),
            (
                json!({"field":"segment","op":"exists","value":false}),
                "(c.segment IS NULL)",
                vec![],
            ),
            (
                json!({"field":"points","op":"eq","value":10}),
                "(c.points IS NOT NULL AND c.points = $1)",
                vec![SqlBind::Number(10.0)],
            ),
            (
                json!({"field":"points","op":"neq","value":10}),
                "(c.points IS NOT NULL AND c.points <> $1)",
                vec![SqlBind::Number(10.0)],
            ),
            (
                json!({"field":"reach","op":"lt","value":-1.5}),
                "(c.reach IS NOT NULL AND c.reach < $1)",
                vec![SqlBind::Number(-1.5)],
            ),
            (
                json!({"field":"reach","op":"lte","value":2}),
                "(c.reach IS NOT NULL AND c.reach <= $1)",
                vec![SqlBind::Number(2.0)],
            ),
            (
                json!({"field":"age_min","op":"between","value":[18, 24]}),
                "(c.age_min IS NOT NULL AND c.age_min BETWEEN $1 AND $2)",
                vec![SqlBind::Number(18.0), SqlBind::Number(24.0)],
            ),
            (
                json!({"field":"has_email","op":"eq","value":true}),
                "(c.has_email IS NOT NULL AND c.has_email = $1)",
                vec![SqlBind::Bool(true)],
            ),
            (
                json!({"field":"marketing_opt_in","op":"exists","value":true}),
                "(c.marketing_opt_in IS NOT NULL)",
                vec![],
            ),
        ];
        for (json, sql, binds) in cases {
            let fragment = parse(json.clone()).to_sql(&columns);
            assert_eq!(fragment.sql, sql, "{json}");
            assert_eq!(fragment.binds, binds, "{json}");
        }
    }

    #[test]
    fn values_never_reach_the_sql_text() {
        let hostile = "x' OR '1'='1'; DROP TABLE contacts; --";
        let rule = parse(json!({"any":[
            {"field":"country","op":"eq","value":hostile},
            {"field":"email_domain","op":"starts_with","value":hostile},
            {"field":"locale","op":"contains","value":"$1"},
            {"field":"segment","op":"in","value":[hostile, "$$ \\ \" ) --"]},
        ]}));
        let fragment = rule.to_sql(&columns);
        for needle in ["DROP", "'1'", "--", "$$", "\""] {
            assert!(
                !fragment.sql.contains(needle),
                "{needle} in {}",
                fragment.sql
            );
        }
        assert_eq!(
            fragment.sql.matches('\'').count(),
            4,
            "only the two ESCAPE literals"
        );
        assert_eq!(fragment.binds[0], SqlBind::Text(hostile.into()));
        assert_eq!(
            fragment.binds[3],
            SqlBind::TextList(vec![hostile.into(), "$$ \\ \" ) --".into()])
        );
        // Field names come from the catalogue, never from the input.
        assert!(
            error(json!({"field":"country; DROP TABLE x","op":"eq","value":"US"}))
                .starts_with("$.field: unknown field \"country; DROP TABLE x\"")
        );
    }

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(escape_like(r"50%_off\now"), r"50\%\_off\\now");
        assert_eq!(escape_like("plain"), "plain");
        let starts = parse(json!({"field":"postal_code","op":"starts_with","value":"9_%\\"}));
        assert_eq!(
            starts.to_sql(&columns).binds,
            vec![SqlBind::Text(r"9\_\%\\%".into())]
        );
        let contains = parse(json!({"field":"email_domain","op":"contains","value":"%"}));
        assert_eq!(
            contains.to_sql(&columns).binds,
            vec![SqlBind::Text(r"%\%%".into())]
        );
        // evaluate takes the value literally too.
        let mut f = Facts::default();
        f.text.insert("postal_code", "9_%\\1".into());
        assert!(starts.evaluate(&f));
        f.text.insert("postal_code", "9a%\\1".into());
        assert!(!starts.evaluate(&f));
    }

    #[test]
    fn evaluate_follows_the_documented_semantics() {
        let rule = parse(example());
        let mut f = Facts::default();
        f.text.insert("postal_code", "94107".into());
        f.number.insert("sentiment", 0.5);
        f.text.insert("country", "US".into());
        f.number.insert("shares", 3.0);
        assert!(rule.evaluate(&f));
        f.number.insert("shares", 2.0);
        assert!(!rule.evaluate(&f), "US with 2 shares");
        f.text.insert("country", "FR".into());
        assert!(rule.evaluate(&f), "outside US/CA");
        f.text.remove("country");
        assert!(
            rule.evaluate(&f),
            "no country: `in` is false, its `not` true"
        );
        f.number.remove("sentiment");
        assert!(!rule.evaluate(&f), "no sentiment: gt is false");

        let empty = Facts::default();
        for (json, expected) in [
            (json!({"field":"country","op":"neq","value":"US"}), false),
            (
                json!({"not":{"field":"country","op":"eq","value":"US"}}),
                true,
            ),
            (json!({"field":"country","op":"exists"}), false),
            (json!({"field":"country","op":"exists","value":false}), true),
            (json!({"field":"shares","op":"lt","value":1}), false),
            (json!({"field":"has_email","op":"eq","value":false}), false),
            (
                json!({"field":"has_email","op":"exists","value":false}),
                true,
            ),
            (
                json!({"not":{"not":{"field":"shares","op":"exists"}}}),
                false,
            ),
        ] {
            assert_eq!(parse(json.clone()).evaluate(&empty), expected, "{json}");
        }

        let mut f = Facts::default();
        f.number.insert("age_min", 18.0);
        f.boolean.insert("has_email", false);
        f.text.insert("email_domain", "Example.com".into());
        for (json, expected) in [
            (
                json!({"field":"age_min","op":"between","value":[18, 24]}),
                true,
            ),
            (
                json!({"field":"age_min","op":"between","value":[10, 18]}),
                true,
            ),
            (
                json!({"field":"age_min","op":"between","value":[18.5, 24]}),
                false,
            ),
            (json!({"field":"age_min","op":"eq","value":18}), true),
            (json!({"field":"age_min","op":"gte","value":18}), true),
            (json!({"field":"age_min","op":"gt","value":18}), false),
            (json!({"field":"age_min","op":"lte","value":18}), true),
            (json!({"field":"age_min","op":"neq","value":18}), false),
            (json!({"field":"has_email","op":"eq","value":false}), true),
            (json!({"field":"has_email","op":"exists"}), true),
            (
                json!({"field":"email_domain","op":"eq","value":"example.com"}),
                false,
            ),
            (
                json!({"field":"email_domain","op":"contains","value":"ple.c"}),
                true,
            ),
            (
                json!({"field":"email_domain","op":"in","value":["a.com","Example.com"]}),
                true,
            ),
            (
                json!({"any":[{"field":"shares","op":"gt","value":0},{"field":"age_min","op":"lt","value":21}]}),
                true,
            ),
            (
                json!({"all":[{"field":"shares","op":"gt","value":0},{"field":"age_min","op":"lt","value":21}]}),
                false,
            ),
        ] {
            assert_eq!(parse(json.clone()).evaluate(&f), expected, "{json}");
        }
    }

    #[test]
    fn json_round_trips() {
        let rule = parse(example());
        assert_eq!(parse(rule.to_json()), rule);
        let text = serde_json::to_string(&rule).unwrap();
        let back: Rule = serde_json::from_str(&text).unwrap();
        assert_eq!(back, rule);
        // exists without a value gets its canonical `true`.
        let exists = parse(json!({"field":"country","op":"exists"}));
        assert_eq!(
            exists.to_json(),
            json!({"field":"country","op":"exists","value":true})
        );
        let bad: Result<Rule, _> = serde_json::from_str(r#"{"field":"nope","op":"eq","value":1}"#);
        assert!(bad
            .unwrap_err()
            .to_string()
            .starts_with("$.field: unknown field \"nope\""));
    }

    #[test]
    fn error_messages_name_the_path() {
        let ops = "eq, neq, gt, gte, lt, lte, between, exists";
        let cases: Vec<(Value, String)> = vec![
            (
                json!({"all":[{"field":"sentiment","op":"gt","value":0.3},{"field":"sentiment","op":"gtt","value":1}]}),
                format!("$.all[1].op: unknown operator \"gtt\"; expected one of {ops}"),
            ),
            (
                json!([]),
                "$: expected a rule object ({\"all\": […]}, {\"any\": […]}, {\"not\": …} or {\"field\": …, \"op\": …, \"value\": …}), found a list".into(),
            ),
            (
                json!({"not": 3}),
                "$.not: expected a rule object ({\"all\": […]}, {\"any\": […]}, {\"not\": …} or {\"field\": …, \"op\": …, \"value\": …}), found a number".into(),
            ),
            (
                json!({"field":"shoe_size","op":"eq","value":1}),
                format!("$.field: unknown field \"shoe_size\"; expected one of {}", field_names()),
            ),
            (
                json!({"any":[{"field":"shares","op":"starts_with","value":"1"}]}),
                format!("$.any[0].op: operator \"starts_with\" does not apply to numeric field \"shares\"; expected one of {ops}"),
            ),
            (
                json!({"field":"country","op":"gt","value":"A"}),
                "$.op: operator \"gt\" does not apply to text field \"country\"; expected one of eq, neq, starts_with, contains, in, exists".into(),
            ),
            (
                json!({"field":"has_email","op":"in","value":[true]}),
                "$.op: operator \"in\" does not apply to boolean field \"has_email\"; expected one of eq, exists".into(),
            ),
            (json!({"op":"eq","value":1}), "$: missing \"field\"".into()),
            (json!({"field":"country","value":"US"}), "$: missing \"op\"".into()),
            (json!({"field":"country","op":"eq"}), "$: missing \"value\"".into()),
            (json!({"field":7,"op":"eq","value":1}), "$.field: expected a string, found a number".into()),
            (json!({"field":"country","op":null,"value":1}), "$.op: expected a string, found null".into()),
            (json!({"field":"country","op":"eq","value":1}), "$.value: expected a string, found a number".into()),
            (json!({"field":"shares","op":"gt","value":"3"}), "$.value: expected a number, found a string".into()),
            (json!({"field":"has_email","op":"eq","value":"yes"}), "$.value: expected true or false, found a string".into()),
            (json!({"field":"country","op":"exists","value":1}), "$.value: expected true or false, found a number".into()),
            (json!({"all":[]}), "$.all: a group needs at least one rule".into()),
            (json!({"any":{"field":"country","op":"exists"}}), "$.any: expected a list of rules, found an object".into()),
            (json!({"all":[{"field":"country","op":"exists"}],"any":[]}), "$.all: unexpected key \"any\" beside \"all\"; a group object has exactly one key".into()),
            (json!({"not":{"field":"country","op":"exists"},"field":"x"}), "$.not: unexpected key \"field\" beside \"not\"; a group object has exactly one key".into()),
            (
                json!({"field":"country","op":"eq","value":"US","vaule":"CA"}),
                "$.vaule: unknown key \"vaule\"; a condition has \"field\", \"op\" and \"value\", a group is \"all\", \"any\" or \"not\"".into(),
            ),
            (
                json!({"any":[{"field":"country","op":"eq","value":"US","a b":1}]}),
                "$.any[0][\"a b\"]: unknown key \"a b\"; a condition has \"field\", \"op\" and \"value\", a group is \"all\", \"any\" or \"not\"".into(),
            ),
            (json!({}), "$: missing \"field\"".into()),
            (json!({"field":"country","op":"eq","value":"x".repeat(201)}), "$.value: text is longer than 200 characters".into()),
            (json!({"field":"country","op":"eq","value":"é".repeat(201)}), "$.value: text is longer than 200 characters".into()),
            (json!({"field":"country","op":"eq","value":"U\u{0}S"}), "$.value: text contains a NUL character".into()),
            (json!({"field":"country","op":"in","value":[]}), "$.value: the \"in\" list is empty".into()),
            (json!({"field":"country","op":"in","value":"US"}), "$.value: expected a list of strings, found a string".into()),
            (json!({"field":"country","op":"in","value":["US", 3]}), "$.value[1]: expected a string, found a number".into()),
            (json!({"field":"country","op":"in","value":vec!["US"; 201]}), "$.value: the \"in\" list has more than 200 values".into()),
            (json!({"field":"reach","op":"between","value":[1]}), "$.value: \"between\" takes [low, high]: a list of two numbers".into()),
            (json!({"field":"reach","op":"between","value":5}), "$.value: \"between\" takes [low, high]: a list of two numbers".into()),
            (json!({"field":"reach","op":"between","value":[1, "2"]}), "$.value[1]: expected a number, found a string".into()),
        ];
        for (json, message) in cases {
            assert_eq!(error(json.clone()), message, "{json}");
        }
        // Long hostile strings are cut in messages.
        let long = error(json!({"field":"x".repeat(10_000),"op":"eq","value":1}));
        assert!(
            long.starts_with(&format!("$.field: unknown field \"{}…\"", "x".repeat(40))),
            "{long}"
        );
        assert!(long.len() < 600);
        let control = error(json!({"field":"a\nb","op":"eq","value":1}));
        assert!(
            control.starts_with("$.field: unknown field \"a\\nb\""),
            "{control}"
        );
        // The error is structured too.
        let e = Rule::parse(&json!({"all":[{"field":"shares","op":"gte"}]})).unwrap_err();
        assert_eq!(e.path, "$.all[0]");
        assert_eq!(e.kind, RuleErrorKind::MissingKey { key: "value" });
    }

    fn nested_not(levels: usize) -> Value {
        let mut v = json!({"field":"country","op":"exists"});
        for _ in 1..levels {
            v = json!({ "not": v });
        }
        v
    }

    #[test]
    fn depth_is_limited() {
        assert!(Rule::parse(&nested_not(MAX_DEPTH)).is_ok());
        let too_deep = error(nested_not(MAX_DEPTH + 1));
        assert_eq!(
            too_deep,
            format!("$.not.not.not.not.not.not.not.not: rules nest deeper than 8 levels")
        );
        // Hostile depth is refused at level 9, not recursed into.
        assert!(error(nested_not(1_000)).ends_with("rules nest deeper than 8 levels"));
        let mut v = json!({"field":"country","op":"exists"});
        for _ in 0..1_000 {
            v = json!({ "all": [v] });
        }
        assert!(error(v).starts_with("$.all[0].all[0].all[0]"));
    }

    #[test]
    fn size_is_limited() {
        let leaf = json!({"field":"shares","op":"gt","value":1});
        let ok = json!({ "any": vec![leaf.clone(); MAX_NODES - 1] });
        assert!(Rule::parse(&ok).is_ok());
        let over = json!({ "any": vec![leaf.clone(); MAX_NODES] });
        assert_eq!(error(over), "$.any: more than 100 rules in one tree");
        let huge = json!({ "any": vec![leaf.clone(); 200_000] });
        assert_eq!(error(huge), "$.any: more than 100 rules in one tree");
        // Spread across groups: the count is over the whole tree.
        let group = json!({ "all": vec![leaf; 30] });
        let spread = json!({ "any": vec![group; 4] });
        let e = Rule::parse(&spread).unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::TooManyNodes { max: MAX_NODES });
        assert_eq!(e.path, "$.any[3].all");
    }

    /// What the API schema (`routes/api/segment_rule_schema.rs`) promises: any two
    /// numbers make a `between`, and text is bounded in characters, not bytes.
    #[test]
    fn between_takes_its_bounds_in_either_order_and_text_is_counted_in_characters() {
        let reversed = parse(json!({"field":"age_min","op":"between","value":[24, 18]}));
        assert_eq!(
            reversed,
            parse(json!({"field":"age_min","op":"between","value":[18, 24]}))
        );
        assert_eq!(reversed.to_json()["value"], json!([18.0, 24.0]));
        let long = "é".repeat(MAX_TEXT_LEN);
        let rule = parse(json!({"field":"country","op":"eq","value": long}));
        assert_eq!(rule.to_json()["value"], json!(long));
    }
}
