//! The per-contest entry form: its schema, the server-side validation of what a
//! fan submits, and the data the fan page needs to draw it.
//!
//! Fans choose what they give. Every field the schema does not ask for is
//! dropped on the server, whatever a client sends; optional fields are marked
//! as such on the page; the marketing opt-in is never pre-ticked.
//!
//! # The schema (JSON, stored per contest)
//!
//! ```json
//! {
//!   "fields": {
//!     "name": "optional",
//!     "email": "required",
//!     "postal_code": "hidden",
//!     "phone": "hidden",
//!     "birth_date": "hidden",
//!     "country": "hidden"
//!   },
//!   "questions": [
//!     { "id": "colour", "label": "Favourite colour?", "kind": "text",
//!       "visibility": "optional", "max_length": 280 },
//!     { "id": "size", "label": "Your shirt size", "kind": "choice",
//!       "choices": ["S", "M", "L", "XL"], "visibility": "required" }
//!   ],
//!   "marketing": { "text": "Send me news and offers from Threadline", "version": "2026-12-01" }
//! }
//! ```
//!
//! - **`fields`**: the six standard fields, each `"required"`, `"optional"` or
//!   `"hidden"`. A key left out keeps its default; `{}` (or no `fields` at all)
//!   is the default form: name optional, email required, the rest hidden.
//! - **`questions`** (default `[]`, at most 10), shown after the standard fields in
//!   this order:
//!   - `id`: 1 to 40 of `a-z`, `0-9`, `_`; unique. The answer is posted as
//!     `q_<id>` (so `q_colour` above, and `q_q_colour` for an id `q_colour`).
//!   - `label`: 1 to 200 characters.
//!   - `kind`: `"text"` (one line, at most `max_length` characters: 1 to 2000,
//!     280 when left out) or `"choice"` (one of `choices`: 2 to 20 distinct
//!     texts of at most 100 characters, no `max_length`).
//!   - `visibility`: `"required"` or `"optional"` (the default). To hide a
//!     question, remove it.
//! - **`marketing`** (optional): the marketing opt-in checkbox's exact wording
//!   and the version recorded with each fan's answer. Left out: no opt-in is
//!   offered. Text 1 to 1000 characters, version 1 to 64.
//! - Accepting the official rules is always required and is not configured here;
//!   the rules version comes from the contest.
//!
//! Unknown keys are refused (a misspelt `"postcode"` must not be silently
//! ignored). [`FormSchema::from_json`] parses and validates; [`FormSchema::validate`]
//! reports every problem with its path, e.g.
//! `questions[2].choices: a choice question needs 2 to 20 choices, found 1`.
//!
//! # The submission
//!
//! A flat map of input names to strings ([`Submitted`], from an urlencoded or
//! multipart form):
//!
//! | Input | Rule (values are trimmed first; empty = not given) |
//! |---|---|
//! | `name` | at most 100 characters; inner whitespace collapsed |
//! | `email` | `local@domain.tld`, at most 254 characters, stored lowercase |
//! | `postal_code` | by country (below), stored uppercase with single spaces |
//! | `phone` | optional leading `+`, digits with spaces, `-`, `.`, `(`, `)`; 7 to 15 digits; stored as `+` and digits |
//! | `birth_date` | `YYYY-MM-DD`, not in the future, not before 1900 |
//! | `country` | an ISO 3166-1 alpha-2 code from [`COUNTRIES`], any case; stored uppercase |
//! | `q_<id>` | a text answer (at most `max_length`) or exactly one of the choices |
//! | `accept_rules` | must be ticked |
//! | `marketing_opt_in` | ticked or not; only read when the schema offers it |
//!
//! A checkbox is ticked when posted with `on`, `true` or `1`; anything else or
//! nothing is unticked. Free text (name, text answers) refuses control
//! characters (NUL, line breaks, ...) and bidirectional overrides; full-width
//! digits and letters (`１２３－４５６７`) are accepted in postal codes, phone
//! numbers and dates.
//!
//! Postal codes: US `12345` or `12345-6789`; CA `A1A 1A1`; GB the Royal Mail
//! pattern (`SW1A 1AA`, `M1 1AE`, `GIR 0AA`); DE, FR, ES, IT 5 digits; NL
//! `1234 AB`; SE `123 45`; BR `12345-678`; AU 4 digits; JP `123-4567`
//! (separators may be left out: `k1a0b1` becomes `K1A 0B1`). Other countries, or
//! no known country: 2 to 12 letters, digits, spaces or dashes. The country is
//! the one typed, else the platform's ([`Prefill::country`]), else none.
//!
//! **Prefill** ([`Prefill`]: what Facebook told us) fills `name`, `email` and
//! `country` only when the submission does not carry the field at all. The fan
//! page shows prefilled values in the inputs, so a fan who clears one sends it
//! empty and their choice wins: nothing is stored that they removed. Prefill
//! applies only to fields the schema shows. A prefill value that breaks the field's
//! rules is ignored.
//!
//! **Eligibility**: `allowed_countries` is checked against the typed country,
//! else the platform's (also when the country field is hidden); `min_age`
//! against the age from the birth date when given, else the platform's
//! `age_min` (a fan whose range starts below the minimum is refused). When
//! neither is known the check cannot be made and the entry is accepted: make
//! the field required to enforce it.
//!
//! # Errors
//!
//! [`validate`] collects every problem, at most one per input, in form order, as
//! [`FieldError`] `{field, code, message}`. `field` is the input name; `message`
//! is written for the fan and never echoes what they typed. Codes ([`ErrorCode`]):
//! `required`, `invalid_email`, `invalid_postal_code`, `invalid_phone`,
//! `invalid_date`, `too_young` (field `birth_date`), `country_not_allowed` (field
//! `country`), `too_long`, `invalid_choice` (also for an unknown country code),
//! `invalid_characters`, `rules_not_accepted` (field `accept_rules`).
//! `too_young` and `country_not_allowed` may come from prefill for an input the
//! page does not show: templates show errors for unknown inputs above the form.
//!
//! For a JSON API, [`entry_rejected`] and [`schema_rejected`] build the 422
//! [`AppError`](crate::error::AppError)s.

mod countries;
mod display;
mod errors;
mod rules;
mod schema;
mod text;
mod validate;

#[cfg(test)]
mod tests;

pub use countries::{canonical_country, country_name, COUNTRIES};
pub use display::{
    consents_for_display, fields_for_display, DisplayChoice, DisplayConsent, DisplayField,
    InputType,
};
pub use errors::{entry_rejected, schema_rejected, ErrorCode, FieldError};
pub use rules::{age_on, parse_email};
pub use schema::{
    FormSchema, MarketingConsent, Question, QuestionKind, Requirement, SchemaIssue, StandardField,
    StandardFields, Visibility, DEFAULT_TEXT_MAX_LENGTH, MAX_QUESTIONS,
};
pub use validate::{
    validate, Consent, ConsentKind, Prefill, Submitted, ValidEntry, ValidationContext,
};

/// Prefix of the input name of a custom question's answer: `q_<id>`.
pub const QUESTION_PREFIX: &str = "q_";
/// Input name of the official rules checkbox.
pub const ACCEPT_RULES: &str = "accept_rules";
/// Input name of the marketing opt-in checkbox.
pub const MARKETING_OPT_IN: &str = "marketing_opt_in";
