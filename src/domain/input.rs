//! Checks shared by every admin input (JSON API and dashboard forms): bounded,
//! trimmed free text, and "absent vs null" for PATCH-style updates.

use serde::{Deserialize, Deserializer};

/// For PATCH bodies: `None` = field absent (leave it), `Some(None)` = null (clear
/// it), `Some(Some(v))` = set it.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Trims and bounds a free-text field; rejects control characters.
pub fn text(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, crate::error::AppError> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min || n > max {
        return Err(crate::error::AppError::invalid(
            "invalid_length",
            format!("{field} must be {min}..={max} characters"),
        )
        .with_details(serde_json::json!({ "field": field })));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(crate::error::AppError::invalid(
            "invalid_characters",
            format!("{field} contains control characters"),
        )
        .with_details(serde_json::json!({ "field": field })));
    }
    Ok(v.to_string())
}
