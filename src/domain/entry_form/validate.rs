//! Server-side validation of a submitted entry form against its schema.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::countries::{canonical_country, country_name};
use super::errors::{ErrorCode, FieldError, Rejection};
use super::rules::{
    age_on, parse_birth_date, parse_country, parse_email, parse_name, parse_phone,
    parse_postal_code, parse_text,
};
use super::schema::{FormSchema, QuestionKind, StandardField, Visibility};
use super::{ACCEPT_RULES, MARKETING_OPT_IN};

/// The raw form as posted: input name → value. Build it with
/// `web::Form<Submitted>` (it deserialises from a flat map; for a repeated key
/// the last value wins), from multipart text parts with [`Submitted::insert`],
/// or with `collect()` from pairs. Keys that are not in the schema are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Submitted {
    fields: HashMap<String, String>,
}

impl Submitted {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a value; a later value for the same key replaces the earlier one.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.fields.insert(key.into(), value.into());
    }

    /// The value exactly as posted.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// The trimmed value, or `None` when absent or blank.
    fn text(&self, key: &str) -> Option<&str> {
        self.get(key).map(str::trim).filter(|v| !v.is_empty())
    }

    /// A checkbox is ticked when its value is `on`, `true` or `1` (any case).
    /// Anything else, or no value, is unticked: consent is never guessed.
    pub fn ticked(&self, key: &str) -> bool {
        self.get(key).map(str::trim).is_some_and(|v| {
            ["on", "true", "1"]
                .iter()
                .any(|yes| v.eq_ignore_ascii_case(yes))
        })
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Submitted {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut submitted = Submitted::new();
        for (k, v) in iter {
            submitted.insert(k, v);
        }
        submitted
    }
}

/// What the platform told us about the fan (signed_request, Facebook login).
/// Each value is used only when the submission lacks that field, and only when it
/// passes the field's own rules; a prefill value that does not is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefill {
    pub name: Option<String>,
    pub email: Option<String>,
    /// ISO alpha-2, any case (Facebook sends lowercase).
    pub country: Option<String>,
    /// Lower bound of the fan's age range (Facebook: 13, 18 or 21).
    pub age_min: Option<u32>,
}

/// Everything besides the schema that a submission is judged by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationContext {
    /// The date ages are computed on and birth dates compared with (contest time zone).
    pub today: NaiveDate,
    /// The version of the contest's official rules, recorded with the rules consent.
    pub rules_version: String,
    /// Minimum age to enter, if any.
    pub min_age: Option<u32>,
    /// ISO alpha-2 codes (any case) of the countries whose residents may enter;
    /// `None` or empty: any country.
    pub allowed_countries: Option<Vec<String>>,
    pub prefill: Prefill,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// The official rules (always asked, must be granted).
    Rules,
    /// The marketing opt-in (asked only when the schema offers it).
    Marketing,
}

impl ConsentKind {
    /// The stored name (`consents.kind`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ConsentKind::Rules => "rules",
            ConsentKind::Marketing => "marketing",
        }
    }
}

/// A consent as it was given: what was asked (kind and text version) and the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub kind: ConsentKind,
    pub granted: bool,
    pub text_version: String,
}

/// A valid entry, normalised. Fields the schema hides are always `None`, even
/// if a client sent them or the platform prefilled them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidEntry {
    /// Trimmed, inner whitespace collapsed.
    pub name: Option<String>,
    /// Trimmed, lowercase.
    pub email: Option<String>,
    /// Uppercase, single spaces, in the country's usual layout (`K1A 0B1`, `SW1A 1AA`, `12345-6789`).
    pub postal_code: Option<String>,
    /// `+` (when given) and digits only.
    pub phone: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// Uppercase ISO alpha-2.
    pub country: Option<String>,
    /// `(question id, answer)` in schema order, answered questions only. A choice
    /// answer is the choice's text as written in the schema.
    pub answers: Vec<(String, String)>,
    /// The rules consent first, then the marketing consent when one was offered.
    pub consents: Vec<Consent>,
    /// Age in years on `today`, from the birth date (`None` without one).
    pub age: Option<u32>,
}

impl ValidEntry {
    pub fn marketing_opt_in(&self) -> bool {
        self.consents
            .iter()
            .any(|c| c.kind == ConsentKind::Marketing && c.granted)
    }
}

/// How one standard field turned out.
enum Outcome<T> {
    Hidden,
    /// Left empty, and no usable prefill.
    Empty,
    /// Typed but refused (the error is recorded).
    Invalid,
    Typed(T),
    Prefilled(T),
}

impl<T> Outcome<T> {
    fn into_value(self) -> Option<T> {
        match self {
            Outcome::Typed(v) | Outcome::Prefilled(v) => Some(v),
            _ => None,
        }
    }
}

/// Errors gathered with their position on the form, so they come back in the
/// order the fan reads the form whatever order the rules ran in.
struct Errors(Vec<(usize, FieldError)>);

const CONSENT_ORDER: usize = usize::MAX - 1;

impl Errors {
    fn push(&mut self, order: usize, field: &str, (code, message): Rejection) {
        self.0.push((order, FieldError::new(field, code, message)));
    }

    fn into_sorted(mut self) -> Vec<FieldError> {
        self.0.sort_by_key(|(order, _)| *order);
        self.0.into_iter().map(|(_, e)| e).collect()
    }
}

fn order(field: StandardField) -> usize {
    StandardField::ALL
        .iter()
        .position(|f| *f == field)
        .unwrap_or(0)
}

fn required_message(field: StandardField) -> &'static str {
    match field {
        StandardField::Name => "Please enter your name.",
        StandardField::Email => "Please enter your email address.",
        StandardField::PostalCode => "Please enter your postal code.",
        StandardField::Phone => "Please enter your phone number.",
        StandardField::BirthDate => "Please enter your date of birth.",
        StandardField::Country => "Please choose your country.",
    }
}

fn standard<T>(
    errors: &mut Errors,
    schema: &FormSchema,
    field: StandardField,
    submitted: &Submitted,
    prefill: Option<&str>,
    parse: impl Fn(&str) -> Result<T, Rejection>,
) -> Outcome<T> {
    let visibility = schema.fields.get(field);
    if visibility == Visibility::Hidden {
        return Outcome::Hidden;
    }
    if let Some(raw) = submitted.text(field.key()) {
        return match parse(raw) {
            Ok(v) => Outcome::Typed(v),
            Err(rejection) => {
                errors.push(order(field), field.key(), rejection);
                Outcome::Invalid
            }
        };
    }
    // A field the fan saw and cleared is sent empty: their choice wins over what
    // the platform told us. Prefill only stands in for a field that was absent.
    let present = submitted.get(field.key()).is_some();
    let prefilled = prefill
        .filter(|_| !present)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .and_then(|p| parse(p).ok());
    if let Some(v) = prefilled {
        return Outcome::Prefilled(v);
    }
    if visibility == Visibility::Required {
        errors.push(
            order(field),
            field.key(),
            (ErrorCode::Required, required_message(field).into()),
        );
    }
    Outcome::Empty
}

/// Validates a submission. On success every value is normalised and hidden
/// fields are `None`; on failure every problem is reported, in form order, at
/// most one per field.
pub fn validate(
    schema: &FormSchema,
    submitted: &Submitted,
    ctx: &ValidationContext,
) -> Result<ValidEntry, Vec<FieldError>> {
    use StandardField as F;
    let mut errors = Errors(Vec::new());
    let prefill = &ctx.prefill;

    let name = standard(
        &mut errors,
        schema,
        F::Name,
        submitted,
        prefill.name.as_deref(),
        parse_name,
    );
    let email = standard(
        &mut errors,
        schema,
        F::Email,
        submitted,
        prefill.email.as_deref(),
        parse_email,
    );

    // The country decides the postal code rule and eligibility: the typed one, else
    // the platform's (even when the field is hidden), else none. A refused typed
    // country already carries an error; the generic postal rule applies then.
    let country = standard(
        &mut errors,
        schema,
        F::Country,
        submitted,
        prefill.country.as_deref(),
        parse_country,
    );
    let effective_country: Option<&'static str> = match &country {
        Outcome::Typed(c) | Outcome::Prefilled(c) => Some(c),
        Outcome::Hidden => prefill.country.as_deref().and_then(canonical_country),
        Outcome::Empty | Outcome::Invalid => None,
    };
    if let (Some(c), Some(allowed)) = (effective_country, ctx.allowed_countries.as_ref()) {
        let allowed: Vec<String> = allowed
            .iter()
            .map(|a| a.trim().to_ascii_uppercase())
            .filter(|a| !a.is_empty())
            .collect();
        if !allowed.is_empty() && !allowed.iter().any(|a| a == c) {
            errors.push(
                order(F::Country),
                F::Country.key(),
                (
                    ErrorCode::CountryNotAllowed,
                    not_allowed_message(c, &allowed),
                ),
            );
        }
    }

    let postal_code = standard(&mut errors, schema, F::PostalCode, submitted, None, |raw| {
        parse_postal_code(raw, effective_country)
    });
    let phone = standard(&mut errors, schema, F::Phone, submitted, None, parse_phone);
    let birth_date = standard(&mut errors, schema, F::BirthDate, submitted, None, |raw| {
        parse_birth_date(raw, ctx.today)
    });

    // Age: from the birth date when given, else the platform's age range. A fan
    // whose range starts below the minimum is refused: eligibility can't be shown.
    let age = match &birth_date {
        Outcome::Typed(b) => Some(age_on(*b, ctx.today)),
        _ => None,
    };
    if let Some(min_age) = ctx.min_age {
        let known_age = match &birth_date {
            Outcome::Typed(_) => age,
            Outcome::Invalid => None,
            _ => prefill.age_min,
        };
        if known_age.is_some_and(|a| a < min_age) {
            errors.push(
                order(F::BirthDate),
                F::BirthDate.key(),
                (
                    ErrorCode::TooYoung,
                    format!(
                        "Sorry, you must be at least {min_age} years old to enter this contest."
                    ),
                ),
            );
        }
    }

    let mut answers = Vec::new();
    for (i, q) in schema.questions.iter().enumerate() {
        let key = q.input_name();
        let at = StandardField::ALL.len() + i;
        let Some(raw) = submitted.text(&key) else {
            if q.visibility.is_required() {
                errors.push(
                    at,
                    &key,
                    (ErrorCode::Required, "Please answer this question.".into()),
                );
            }
            continue;
        };
        let answer = match q.kind {
            QuestionKind::Text => parse_text(raw, q.text_max_length()),
            QuestionKind::Choice => q
                .choices
                .iter()
                .map(|c| c.trim())
                .find(|c| *c == raw)
                .map(str::to_string)
                .ok_or_else(|| {
                    (
                        ErrorCode::InvalidChoice,
                        "Please choose one of the options offered.".into(),
                    )
                }),
        };
        match answer {
            Ok(a) => answers.push((q.id.clone(), a)),
            Err(rejection) => errors.push(at, &key, rejection),
        }
    }

    let mut consents = Vec::new();
    if submitted.ticked(ACCEPT_RULES) {
        consents.push(Consent {
            kind: ConsentKind::Rules,
            granted: true,
            text_version: ctx.rules_version.clone(),
        });
    } else {
        errors.push(
            CONSENT_ORDER,
            ACCEPT_RULES,
            (
                ErrorCode::RulesNotAccepted,
                "Please read and accept the official rules to enter.".into(),
            ),
        );
    }
    if let Some(marketing) = &schema.marketing {
        consents.push(Consent {
            kind: ConsentKind::Marketing,
            granted: submitted.ticked(MARKETING_OPT_IN),
            text_version: marketing.version.clone(),
        });
    }

    if !errors.0.is_empty() {
        return Err(errors.into_sorted());
    }
    Ok(ValidEntry {
        name: name.into_value(),
        email: email.into_value(),
        postal_code: postal_code.into_value(),
        phone: phone.into_value(),
        birth_date: birth_date.into_value(),
        country: country.into_value().map(str::to_string),
        answers,
        consents,
        age,
    })
}

/// Names the fan's country and, when the list is short, where the contest is open.
fn not_allowed_message(country: &str, allowed: &[String]) -> String {
    let name = country_name(country).unwrap_or(country);
    if allowed.len() <= 5 {
        let names: Vec<&str> = allowed
            .iter()
            .map(|a| country_name(a).unwrap_or(a.as_str()))
            .collect();
        format!(
            "Sorry, this contest isn't open to residents of {name}. It is open to residents of: {}.",
            names.join(", ")
        )
    } else {
        format!("Sorry, this contest isn't open to residents of {name}.")
    }
}
