//! The per-contest form schema (see the parent module for its JSON shape) and the
//! checks an admin's schema must pass before it is stored.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::text::forbidden_char;

/// Most custom questions in one form.
pub const MAX_QUESTIONS: usize = 10;
/// Longest question id.
pub const MAX_ID_LEN: usize = 40;
/// Longest question label, in characters.
pub const MAX_LABEL_LEN: usize = 200;
/// Fewest and most choices of a choice question.
pub const MIN_CHOICES: usize = 2;
pub const MAX_CHOICES: usize = 20;
/// Longest choice, in characters.
pub const MAX_CHOICE_LEN: usize = 100;
/// Bounds of a text question's `max_length`, and its value when left out.
pub const MAX_TEXT_ANSWER_LEN: u32 = 2000;
pub const DEFAULT_TEXT_MAX_LENGTH: u32 = 280;
/// Longest marketing consent text and version string.
pub const MAX_MARKETING_TEXT_LEN: usize = 1000;
pub const MAX_VERSION_LEN: usize = 64;

/// Whether a standard field is asked for, and whether it must be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Required,
    Optional,
    /// Not shown, and ignored if a client sends it anyway.
    Hidden,
}

/// Whether a custom question must be answered. (A question the admin does not
/// want is removed, so there is no `hidden`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Required,
    #[default]
    Optional,
}

impl Requirement {
    pub fn is_required(self) -> bool {
        self == Requirement::Required
    }
}

/// The standard contact fields, in the order the form shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StandardField {
    Name,
    Email,
    PostalCode,
    Phone,
    BirthDate,
    Country,
}

impl StandardField {
    pub const ALL: [StandardField; 6] = [
        StandardField::Name,
        StandardField::Email,
        StandardField::PostalCode,
        StandardField::Phone,
        StandardField::BirthDate,
        StandardField::Country,
    ];

    /// The form input name, the JSON key in the schema, and `FieldError::field`.
    pub fn key(self) -> &'static str {
        match self {
            StandardField::Name => "name",
            StandardField::Email => "email",
            StandardField::PostalCode => "postal_code",
            StandardField::Phone => "phone",
            StandardField::BirthDate => "birth_date",
            StandardField::Country => "country",
        }
    }

    /// The label a fan sees.
    pub fn label(self) -> &'static str {
        match self {
            StandardField::Name => "Name",
            StandardField::Email => "Email address",
            StandardField::PostalCode => "Postal code",
            StandardField::Phone => "Phone number",
            StandardField::BirthDate => "Date of birth",
            StandardField::Country => "Country",
        }
    }
}

/// Visibility of each standard field. Keys left out of the JSON take their
/// default: name optional, email required, everything else hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StandardFields {
    pub name: Visibility,
    pub email: Visibility,
    pub postal_code: Visibility,
    pub phone: Visibility,
    pub birth_date: Visibility,
    pub country: Visibility,
}

impl Default for StandardFields {
    fn default() -> Self {
        StandardFields {
            name: Visibility::Optional,
            email: Visibility::Required,
            postal_code: Visibility::Hidden,
            phone: Visibility::Hidden,
            birth_date: Visibility::Hidden,
            country: Visibility::Hidden,
        }
    }
}

impl StandardFields {
    pub fn get(&self, field: StandardField) -> Visibility {
        match field {
            StandardField::Name => self.name,
            StandardField::Email => self.email,
            StandardField::PostalCode => self.postal_code,
            StandardField::Phone => self.phone,
            StandardField::BirthDate => self.birth_date,
            StandardField::Country => self.country,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// A free-text answer of at most `max_length` characters.
    Text,
    /// One of `choices`.
    Choice,
}

/// A custom question set by the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// `[a-z0-9_]{1,40}`, unique in the form. The answer is submitted as `q_<id>`.
    pub id: String,
    pub label: String,
    pub kind: QuestionKind,
    /// Choice questions only: 2 to 20 distinct options, shown in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Defaults to `optional`.
    #[serde(default)]
    pub visibility: Requirement,
    /// Text questions only: 1 to 2000 characters; 280 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

impl Question {
    /// The form input name of the answer: `q_<id>`.
    pub fn input_name(&self) -> String {
        format!("{}{}", super::QUESTION_PREFIX, self.id)
    }

    /// The longest accepted text answer, in characters.
    pub fn text_max_length(&self) -> usize {
        self.max_length.unwrap_or(DEFAULT_TEXT_MAX_LENGTH) as usize
    }
}

/// The optional marketing opt-in checkbox: its exact wording and a version that
/// is stored with every consent, so what a fan agreed to can be proven later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketingConsent {
    pub text: String,
    pub version: String,
}

/// A contest's entry form. `Default` is the form used until an admin changes it:
/// name optional, email required, everything else hidden, no questions, no
/// marketing opt-in.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSchema {
    #[serde(default)]
    pub fields: StandardFields,
    #[serde(default)]
    pub questions: Vec<Question>,
    /// Absent: no marketing opt-in is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketing: Option<MarketingConsent>,
}

/// One problem in an admin's schema. `path` names the offending JSON node, e.g.
/// `questions[2].choices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaIssue {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl FormSchema {
    /// Parses and validates a schema as sent by an admin. Unknown keys and wrong
    /// types are reported as one issue at path `$` with serde's message.
    pub fn from_json(value: serde_json::Value) -> Result<FormSchema, Vec<SchemaIssue>> {
        // serde would also read a struct from an array of its fields in order.
        if !value.is_object() {
            return Err(vec![SchemaIssue {
                path: "$".into(),
                message: "the form schema must be a JSON object".into(),
            }]);
        }
        let schema: FormSchema = serde_json::from_value(value).map_err(|e| {
            vec![SchemaIssue {
                path: "$".into(),
                message: e.to_string(),
            }]
        })?;
        schema.validate()?;
        Ok(schema)
    }

    /// Checks the schema's own rules; every issue is reported, not just the first.
    pub fn validate(&self) -> Result<(), Vec<SchemaIssue>> {
        let mut issues = Vec::new();
        let mut issue = |path: String, message: String| issues.push(SchemaIssue { path, message });

        if self.questions.len() > MAX_QUESTIONS {
            issue(
                "questions".into(),
                format!(
                    "at most {MAX_QUESTIONS} questions are allowed, found {}",
                    self.questions.len()
                ),
            );
        }
        let mut first_use: HashMap<&str, usize> = HashMap::new();
        for (i, q) in self.questions.iter().enumerate() {
            let at = |field: &str| format!("questions[{i}].{field}");
            if !valid_id(&q.id) {
                issue(
                    at("id"),
                    format!(
                        "must be 1 to {MAX_ID_LEN} characters of lowercase letters a-z, digits and _"
                    ),
                );
            } else if let Some(j) = first_use.get(q.id.as_str()) {
                issue(
                    at("id"),
                    format!(
                        "\"{}\" is already the id of questions[{j}]; ids must be unique",
                        q.id
                    ),
                );
            } else {
                first_use.insert(&q.id, i);
            }
            if let Some(message) = text_problem(&q.label, MAX_LABEL_LEN) {
                issue(at("label"), message);
            }
            match q.kind {
                QuestionKind::Text => {
                    if !q.choices.is_empty() {
                        issue(
                            at("choices"),
                            "only choice questions have choices; use \"kind\": \"choice\" or remove them".into(),
                        );
                    }
                    if let Some(max) = q.max_length {
                        if !(1..=MAX_TEXT_ANSWER_LEN).contains(&max) {
                            issue(
                                at("max_length"),
                                format!("must be between 1 and {MAX_TEXT_ANSWER_LEN}, found {max}"),
                            );
                        }
                    }
                }
                QuestionKind::Choice => {
                    if q.max_length.is_some() {
                        issue(
                            at("max_length"),
                            "only text questions have a max_length; remove it".into(),
                        );
                    }
                    let n = q.choices.len();
                    if !(MIN_CHOICES..=MAX_CHOICES).contains(&n) {
                        issue(
                            at("choices"),
                            format!(
                                "a choice question needs {MIN_CHOICES} to {MAX_CHOICES} choices, found {n}"
                            ),
                        );
                    }
                    let mut seen: HashMap<String, usize> = HashMap::new();
                    for (k, choice) in q.choices.iter().enumerate() {
                        let path = format!("questions[{i}].choices[{k}]");
                        if let Some(message) = text_problem(choice, MAX_CHOICE_LEN) {
                            issue(path, message);
                            continue;
                        }
                        let folded = choice.trim().to_lowercase();
                        if let Some(first) = seen.get(&folded) {
                            issue(
                                path,
                                format!(
                                    "\"{}\" repeats choices[{first}]; choices must be unique (ignoring case)",
                                    choice.trim()
                                ),
                            );
                        } else {
                            seen.insert(folded, k);
                        }
                    }
                }
            }
        }
        if let Some(m) = &self.marketing {
            if let Some(message) = text_problem(&m.text, MAX_MARKETING_TEXT_LEN) {
                issue("marketing.text".into(), message);
            }
            if let Some(message) = text_problem(&m.version, MAX_VERSION_LEN) {
                issue("marketing.version".into(), message);
            }
        }
        if issues.is_empty() {
            Ok(())
        } else {
            Err(issues)
        }
    }
}

fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Why an admin-written text is unacceptable: empty, too long (characters, after
/// trimming) or containing control characters.
fn text_problem(text: &str, max: usize) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return Some("must not be empty".into());
    }
    let len = text.chars().count();
    if len > max {
        return Some(format!("must be at most {max} characters, found {len}"));
    }
    if text.chars().any(forbidden_char) {
        return Some("must not contain control characters".into());
    }
    None
}
