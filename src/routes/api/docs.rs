//! Schema-only types shared by the admin API's OpenAPI documentation: list
//! envelopes. The responses every operation can give are written out on each
//! `#[utoipa::path]` so the document says exactly what each one answers.

use serde::Serialize;
use utoipa::ToSchema;

/// A list: `{"data": [...]}`.
#[derive(Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    pub data: Vec<T>,
}

// Text fields are checked by `domain::input::text`: trimmed, bounded, and free of
// control characters other than tab, CR and LF. The patterns below say the same
// in the document (`TEXT`: any such text; `TEXT_REQUIRED`: and at least one
// character that is not whitespace), so generated clients and fuzzers send what
// the API accepts. utoipa takes literals only, so the fields spell them out;
// `openapi_patterns_match_domain_input` keeps the copies equal.
pub const TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";
pub const TEXT_REQUIRED: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";
