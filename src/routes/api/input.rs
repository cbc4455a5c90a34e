//! Helpers for API inputs: absent vs null, bounded text (they live in
//! `domain::input` because the dashboard's forms apply the same rules), and
//! [`ApiJson`], the JSON body extractor of the admin API.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use crate::domain::input::{double_option, text};
use crate::error::AppError;

/// A JSON body like `web::Json` (same limits and errors: 413, 415, 400
/// `malformed_json`), except that a number with a zero fraction (`1.0`) is read
/// as the integer it equals. The OpenAPI document describes these fields as JSON
/// Schema `integer`, and JSON Schema counts `1.0` as an integer; clients that
/// serialise every number as a float (and schemathesis) send them. `1.5` for an
/// integer field is still a 400.
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ApiJson<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let mut value = body.await?.into_inner();
            integral_floats_to_integers(&mut value);
            serde_json::from_value(value)
                .map(ApiJson)
                .map_err(|e| crate::routes::malformed_json(&e).into())
        })
    }
}

/// Rewrites every float with a zero fraction that fits an i64/u64 as an integer.
fn integral_floats_to_integers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                // 2^63 and 2^64 are exact as f64; the bounds keep the casts lossless.
                if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
                    *v = Value::from(f as i64);
                } else if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                    *v = Value::from(f as u64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// A free-text query parameter (`segment`, `q`, `subject_type`): Postgres text
/// cannot hold NUL, and no caller means control characters, so they are a 422
/// instead of a failed query; so is a value longer than `max` characters.
pub fn query_text(field: &'static str, value: Option<&str>, max: usize) -> Result<(), AppError> {
    match value {
        Some(v) if v.chars().count() > max => Err(AppError::invalid(
            "invalid_length",
            format!("{field} is limited to {max} characters"),
        )
        .with_details(serde_json::json!({ "field": field }))),
        Some(v)
            if v.chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) =>
        {
            Err(AppError::invalid(
                "invalid_characters",
                format!("{field} contains control characters"),
            )
            .with_details(serde_json::json!({ "field": field })))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integral_floats_become_integers_and_others_stay() {
        let mut v: Value = serde_json::from_str(
            r#"{"a": 1.0, "b": [-3.0, 2.5], "c": {"d": 1e3}, "e": 7, "f": "1.0"}"#,
        )
        .unwrap();
        integral_floats_to_integers(&mut v);
        assert_eq!(
            v,
            json!({"a": 1, "b": [-3, 2.5], "c": {"d": 1000}, "e": 7, "f": "1.0"})
        );
        assert!(v["a"].is_i64());
        let mut huge: Value = serde_json::from_str("1e300").unwrap();
        integral_floats_to_integers(&mut huge);
        assert!(huge.is_f64());
    }
}
