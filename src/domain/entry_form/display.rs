//! What the fan page template needs to draw the form. Only data: the HTML is the
//! template's job (askama escapes every value).

use serde::Serialize;

use super::countries::COUNTRIES;
use super::rules::{MAX_EMAIL_LEN, MAX_NAME_LEN, MAX_PHONE_INPUT_LEN, MAX_POSTAL_INPUT_LEN};
use super::schema::{FormSchema, QuestionKind, StandardField, Visibility};
use super::{ACCEPT_RULES, MARKETING_OPT_IN};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputType {
    Text,
    Email,
    Tel,
    Date,
    Select,
}

impl InputType {
    /// The HTML name: `<input type="…">`, or `select` for a `<select>`.
    pub fn as_str(self) -> &'static str {
        match self {
            InputType::Text => "text",
            InputType::Email => "email",
            InputType::Tel => "tel",
            InputType::Date => "date",
            InputType::Select => "select",
        }
    }
}

impl std::fmt::Display for InputType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `<option>`: the value posted and the text shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisplayChoice {
    pub value: String,
    pub label: String,
}

/// One form input, in the order the fan sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisplayField {
    /// The input's `name` attribute (and `FieldError::field` for its errors).
    pub name: String,
    pub label: String,
    pub input_type: InputType,
    /// Add the `required` attribute.
    pub required: bool,
    /// Show "(optional)" next to the label. Always `!required`: a fan must never
    /// have to guess what they may leave out.
    pub optional_hint: bool,
    /// The `autocomplete` attribute; `None` for custom questions ("off" is not
    /// forced, the browser decides).
    pub autocomplete: Option<&'static str>,
    /// Options of a select, in order. Templates add a first, empty
    /// "Choose…" option so that nothing is preselected.
    pub choices: Vec<DisplayChoice>,
    /// The `maxlength` attribute, in characters, for free-text inputs.
    pub max_length: Option<usize>,
}

/// A consent checkbox. Never pre-ticked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisplayConsent {
    /// `accept_rules` or `marketing_opt_in`; post the value `on` when ticked.
    pub name: &'static str,
    /// The wording. For the rules the template links "official rules" to them.
    pub label: String,
    pub required: bool,
    pub optional_hint: bool,
}

/// The visible inputs of the form in schema order: the standard fields (name,
/// email, postal code, phone, birth date, country) that are not hidden, then the
/// custom questions.
pub fn fields_for_display(schema: &FormSchema) -> Vec<DisplayField> {
    let mut out = Vec::new();
    for field in StandardField::ALL {
        let visibility = schema.fields.get(field);
        if visibility == Visibility::Hidden {
            continue;
        }
        let required = visibility == Visibility::Required;
        let (input_type, autocomplete, max_length) = match field {
            StandardField::Name => (InputType::Text, "name", Some(MAX_NAME_LEN)),
            StandardField::Email => (InputType::Email, "email", Some(MAX_EMAIL_LEN)),
            StandardField::PostalCode => {
                (InputType::Text, "postal-code", Some(MAX_POSTAL_INPUT_LEN))
            }
            StandardField::Phone => (InputType::Tel, "tel", Some(MAX_PHONE_INPUT_LEN)),
            StandardField::BirthDate => (InputType::Date, "bday", None),
            StandardField::Country => (InputType::Select, "country", None),
        };
        let choices = if field == StandardField::Country {
            COUNTRIES
                .iter()
                .map(|(code, name)| DisplayChoice {
                    value: (*code).into(),
                    label: (*name).into(),
                })
                .collect()
        } else {
            Vec::new()
        };
        out.push(DisplayField {
            name: field.key().into(),
            label: field.label().into(),
            input_type,
            required,
            optional_hint: !required,
            autocomplete: Some(autocomplete),
            choices,
            max_length,
        });
    }
    for q in &schema.questions {
        let required = q.visibility.is_required();
        let (input_type, choices, max_length) = match q.kind {
            QuestionKind::Text => (InputType::Text, Vec::new(), Some(q.text_max_length())),
            QuestionKind::Choice => (
                InputType::Select,
                q.choices
                    .iter()
                    .map(|c| DisplayChoice {
                        value: c.trim().into(),
                        label: c.trim().into(),
                    })
                    .collect(),
                None,
            ),
        };
        out.push(DisplayField {
            name: q.input_name(),
            label: q.label.trim().into(),
            input_type,
            required,
            optional_hint: !required,
            autocomplete: None,
            choices,
            max_length,
        });
    }
    out
}

/// The consent checkboxes: the official rules (required), then the marketing
/// opt-in when the schema offers one (optional, unticked).
pub fn consents_for_display(schema: &FormSchema) -> Vec<DisplayConsent> {
    let mut out = vec![DisplayConsent {
        name: ACCEPT_RULES,
        label: "I have read and accept the official rules".into(),
        required: true,
        optional_hint: false,
    }];
    if let Some(m) = &schema.marketing {
        out.push(DisplayConsent {
            name: MARKETING_OPT_IN,
            label: m.text.trim().into(),
            required: false,
            optional_hint: true,
        });
    }
    out
}
