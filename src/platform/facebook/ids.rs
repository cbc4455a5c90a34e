//! Facebook ids arrive as JSON strings or numbers (and sometimes both for the same
//! field). Fanfare always stores them as strings.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string or an integer as a string; anything else is `None`.
pub fn id_from_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

/// serde helper: `Option<String>` from a string, an integer, or null.
pub fn de_opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => id_from_value(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("expected an id as a string or an integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_and_numbers() {
        assert_eq!(id_from_value(&json!("123")), Some("123".into()));
        assert_eq!(
            id_from_value(&json!(1234567890321u64)),
            Some("1234567890321".into())
        );
        assert_eq!(id_from_value(&json!(1.5)), None);
        assert_eq!(id_from_value(&json!(null)), None);
        assert_eq!(id_from_value(&json!("")), None);
    }
}
