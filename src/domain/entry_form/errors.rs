//! What a rejected submission or schema looks like to callers.

use serde::Serialize;
use serde_json::json;

use super::schema::SchemaIssue;
use crate::error::AppError;

/// Stable machine codes of [`FieldError`]s. They serialise as the snake_case
/// strings below and never change meaning; front ends may key translations on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A required field or question was left empty.
    Required,
    InvalidEmail,
    InvalidPostalCode,
    InvalidPhone,
    /// Not `YYYY-MM-DD`, not a real date, in the future, or before 1900.
    InvalidDate,
    /// Below the contest's minimum age (from the birth date, else the platform's age range).
    TooYoung,
    /// The country (typed, else the platform's) is not among the contest's allowed countries.
    CountryNotAllowed,
    /// More characters than the field allows.
    TooLong,
    /// Not one of the offered options (custom choice question, or an unknown country code).
    InvalidChoice,
    /// Control characters (NUL, newline, ...) or bidirectional overrides in free text.
    InvalidCharacters,
    /// The official rules checkbox was not ticked.
    RulesNotAccepted,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Required => "required",
            ErrorCode::InvalidEmail => "invalid_email",
            ErrorCode::InvalidPostalCode => "invalid_postal_code",
            ErrorCode::InvalidPhone => "invalid_phone",
            ErrorCode::InvalidDate => "invalid_date",
            ErrorCode::TooYoung => "too_young",
            ErrorCode::CountryNotAllowed => "country_not_allowed",
            ErrorCode::TooLong => "too_long",
            ErrorCode::InvalidChoice => "invalid_choice",
            ErrorCode::InvalidCharacters => "invalid_characters",
            ErrorCode::RulesNotAccepted => "rules_not_accepted",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem with a submission. `field` is the form input name (`email`,
/// `q_colour`, `accept_rules`, ...); `message` is written for the fan and never
/// repeats what they typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: ErrorCode,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// A rejection from a field rule, before it is attached to a field name.
pub(crate) type Rejection = (ErrorCode, String);

/// 422 `invalid_entry` with `details: {"fields": [FieldError, ...]}`, for routes
/// answering JSON.
pub fn entry_rejected(errors: &[FieldError]) -> AppError {
    AppError::invalid(
        "invalid_entry",
        "some answers in the entry form need fixing",
    )
    .with_details(json!({ "fields": errors }))
}

/// 422 `invalid_form_schema` with `details: {"issues": [{"path", "message"}, ...]}`.
pub fn schema_rejected(issues: &[SchemaIssue]) -> AppError {
    let summary = issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    AppError::invalid(
        "invalid_form_schema",
        format!("the entry form is not valid: {summary}"),
    )
    .with_details(json!({ "issues": issues }))
}
