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
