//! `signed_request`: `base64url(signature) "." base64url(payload)`, used by the
//! fan page POST, the deauthorize callback and the data-deletion callback.
//!
//! The signature is HMAC-SHA256 keyed with the app secret over the payload segment
//! **exactly as received** (padding included when sent). Padding is optional on
//! both segments. Freshness ([`SignedRequest::check_fresh`]) is a separate step
//! from verification, so old test vectors still verify. Nothing here panics on any
//! input.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use sha2::Sha256;

use super::ids::de_opt_id;

/// base64url that accepts input with or without `=` padding.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Far larger than any real signed_request; stops hostile input early.
const MAX_LEN: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedRequestError {
    #[error("signed_request is empty or too long")]
    BadLength,
    #[error("signed_request has no '.' separator or an empty part")]
    Malformed,
    #[error("signed_request is not valid base64url")]
    BadEncoding,
    #[error("signed_request signature does not match")]
    BadSignature,
    #[error("signed_request payload is not a JSON object")]
    BadPayload,
    #[error("signed_request uses an unsupported algorithm")]
    BadAlgorithm,
    #[error("signed_request has no issued_at")]
    MissingIssuedAt,
    #[error("signed_request is too old")]
    Stale,
    #[error("signed_request is dated in the future")]
    FromTheFuture,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AgeRange {
    pub min: Option<u32>,
    pub max: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct UserInfo {
    pub country: Option<String>,
    pub locale: Option<String>,
    pub age: Option<AgeRange>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PageInfo {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "de_loose_bool")]
    pub liked: Option<bool>,
    #[serde(default, deserialize_with = "de_loose_bool")]
    pub admin: Option<bool>,
}

/// The decoded payload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SignedRequest {
    pub algorithm: String,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub issued_at: Option<i64>,
    /// Present only when the person authorised the app. `"0"` with a
    /// `profile_id` means a page removed the app (deauthorize).
    #[serde(default, deserialize_with = "de_opt_id")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    pub profile_id: Option<String>,
    pub oauth_token: Option<String>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub expires: Option<i64>,
    pub code: Option<String>,
    pub user: Option<UserInfo>,
    pub page: Option<PageInfo>,
    #[serde(default, deserialize_with = "de_app_data")]
    pub app_data: Option<String>,
}

impl SignedRequest {
    /// Freshness: not older than `max_age_secs`, not further than `skew_secs` ahead.
    pub fn check_fresh(
        &self,
        now_unix: i64,
        max_age_secs: i64,
        skew_secs: i64,
    ) -> Result<(), SignedRequestError> {
        let issued = self.issued_at.ok_or(SignedRequestError::MissingIssuedAt)?;
        if issued > now_unix.saturating_add(skew_secs) {
            return Err(SignedRequestError::FromTheFuture);
        }
        if now_unix.saturating_sub(issued) > max_age_secs {
            return Err(SignedRequestError::Stale);
        }
        Ok(())
    }

    /// The app-scoped user id, unless it is the `"0"` placeholder.
    pub fn app_scoped_user_id(&self) -> Option<&str> {
        self.user_id.as_deref().filter(|id| *id != "0")
    }
}

/// Verifies the signature and decodes the payload. Does not check freshness.
pub fn parse(input: &str, app_secret: &[u8]) -> Result<SignedRequest, SignedRequestError> {
    // Straight into the struct: a page tab sends one with every page view, and
    // going through a `Value` first cost as much as the HMAC. A payload the
    // struct refuses takes the slow path, which names the error as before.
    let payload = verified_payload(input, app_secret)?;
    if let Ok(req) = serde_json::from_slice::<SignedRequest>(&payload) {
        if !req.algorithm.eq_ignore_ascii_case("HMAC-SHA256") {
            return Err(SignedRequestError::BadAlgorithm);
        }
        return Ok(req);
    }
    let payload_json = checked_json(&payload)?;
    serde_json::from_value(payload_json).map_err(|_| SignedRequestError::BadPayload)
}

/// Verifies and returns the payload as JSON plus its raw bytes.
pub fn verify(input: &str, app_secret: &[u8]) -> Result<(Value, Vec<u8>), SignedRequestError> {
    let payload = verified_payload(input, app_secret)?;
    let json = checked_json(&payload)?;
    Ok((json, payload))
}

/// The verified payload as JSON, with a supported algorithm.
fn checked_json(payload: &[u8]) -> Result<Value, SignedRequestError> {
    let json: Value =
        serde_json::from_slice(payload).map_err(|_| SignedRequestError::BadPayload)?;
    let algorithm = json
        .get("algorithm")
        .and_then(Value::as_str)
        .ok_or(SignedRequestError::BadPayload)?;
    if !algorithm.eq_ignore_ascii_case("HMAC-SHA256") {
        return Err(SignedRequestError::BadAlgorithm);
    }
    Ok(json)
}

/// Checks the shape and the signature; returns the decoded payload bytes.
fn verified_payload(input: &str, app_secret: &[u8]) -> Result<Vec<u8>, SignedRequestError> {
    if input.is_empty() || input.len() > MAX_LEN {
        return Err(SignedRequestError::BadLength);
    }
    let (sig_part, payload_part) = input.split_once('.').ok_or(SignedRequestError::Malformed)?;
    if sig_part.is_empty() || payload_part.is_empty() {
        return Err(SignedRequestError::Malformed);
    }
    let signature = B64URL
        .decode(sig_part)
        .map_err(|_| SignedRequestError::BadEncoding)?;
    let payload = B64URL
        .decode(payload_part)
        .map_err(|_| SignedRequestError::BadEncoding)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("any key length");
    mac.update(payload_part.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| SignedRequestError::BadSignature)?;
    Ok(payload)
}

/// Builds a signed_request the way Facebook does (no padding). Used by the sandbox
/// and by tests.
pub fn sign(payload: &Value, app_secret: &[u8]) -> String {
    let payload_part = B64URL.encode(payload.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("any key length");
    mac.update(payload_part.as_bytes());
    let sig_part = B64URL.encode(mac.finalize().into_bytes());
    format!("{sig_part}.{payload_part}")
}

/// base64url without padding (shared with other modules that need it).
pub fn b64url_encode(bytes: &[u8]) -> String {
    B64URL.encode(bytes)
}

pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    B64URL.decode(s).ok()
}

fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn de_loose_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::Number(n)) => n.as_i64().map(|i| i != 0),
        Some(Value::String(s)) => match s.as_str() {
            "1" | "true" => Some(true),
            "0" | "false" | "" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

fn de_app_data<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"foo_app_secret";

    fn vectors() -> Vec<Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/facebook/vectors.json"
        );
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["signed_requests"].as_array().unwrap().clone()
    }

    #[test]
    fn every_vector_in_the_doc() {
        let list = vectors();
        assert!(list.len() >= 6);
        for v in list {
            let sr = v["signed_request"].as_str().unwrap();
            let secret = v["secret"].as_str().unwrap().as_bytes();
            if v["valid"].as_bool().unwrap() {
                let (payload, _) = verify(sr, secret).expect(sr);
                assert_eq!(payload, v["payload"]);
                parse(sr, secret).expect(sr);
            } else {
                assert!(parse(sr, secret).is_err(), "{sr} should fail: {}", v["why"]);
            }
        }
    }

    #[test]
    fn typed_payloads() {
        let numeric = parse("U0_O1MqqNKUt32633zAkdd2Ce-jGVgRgJeRauyx_zC8=.eyJvYXV0aF90b2tlbiI6ImZvb190b2tlbiIsImFsZ29yaXRobSI6IkhNQUMtU0hBMjU2IiwiaXNzdWVkX2F0IjozMjEsImNvZGUiOiJmb29fY29kZSIsInN0YXRlIjoiZm9vX3N0YXRlIiwidXNlcl9pZCI6MTIzLCJmb28iOiJiYXIifQ==", SECRET).unwrap();
        assert_eq!(numeric.user_id.as_deref(), Some("123"));
        assert_eq!(numeric.issued_at, Some(321));
        assert_eq!(numeric.oauth_token.as_deref(), Some("foo_token"));
        assert_eq!(numeric.code.as_deref(), Some("foo_code"));

        let tab = parse("6Hi26ECjkj347belC0O8b8H5lwiIz5eA6V9VVjTg-HU=.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImlzc3VlZF9hdCI6MzIxLCJvYXV0aF90b2tlbiI6ImZvb190b2tlbiIsInVzZXJfaWQiOiIxMjMiLCJwYWdlIjp7ImlkIjoiNDIiLCJsaWtlZCI6dHJ1ZSwiYWRtaW4iOmZhbHNlfX0=", SECRET).unwrap();
        assert_eq!(tab.user_id.as_deref(), Some("123"));
        let page = tab.page.unwrap();
        assert_eq!(page.id.as_deref(), Some("42"));
        assert_eq!(page.liked, Some(true));
        assert_eq!(page.admin, Some(false));

        let anon = parse("KPlyhz-whtYAhHWr15N5TkbS_avz-2rUJFpFkfXKC88=.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImlzc3VlZF9hdCI6MTQwMjU1MTA4Nn0=", SECRET).unwrap();
        assert_eq!(anon.user_id, None);
        assert_eq!(anon.issued_at, Some(1402551086));
    }

    #[test]
    fn padding_is_optional() {
        let padded = "6Hi26ECjkj347belC0O8b8H5lwiIz5eA6V9VVjTg-HU=.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImlzc3VlZF9hdCI6MzIxLCJvYXV0aF90b2tlbiI6ImZvb190b2tlbiIsInVzZXJfaWQiOiIxMjMiLCJwYWdlIjp7ImlkIjoiNDIiLCJsaWtlZCI6dHJ1ZSwiYWRtaW4iOmZhbHNlfX0=";
        // Without padding on the signature the HMAC (over the payload as sent) still matches.
        let sig_unpadded = padded.replacen("=.", ".", 1);
        assert!(parse(&sig_unpadded, SECRET).is_ok());
        // Removing padding from the payload changes the signed bytes: must fail.
        let payload_unpadded = padded.trim_end_matches('=');
        assert_eq!(
            parse(payload_unpadded, SECRET),
            Err(SignedRequestError::BadSignature)
        );
        // Our own signer omits padding, as Facebook does, and round-trips.
        let sr = sign(
            &json!({"algorithm":"HMAC-SHA256","issued_at":5,"user_id":"9"}),
            SECRET,
        );
        assert!(!sr.contains('='));
        assert_eq!(parse(&sr, SECRET).unwrap().user_id.as_deref(), Some("9"));
    }

    #[test]
    fn negative_cases() {
        assert_eq!(parse("", SECRET), Err(SignedRequestError::BadLength));
        assert_eq!(
            parse("invalid_signed_request", SECRET),
            Err(SignedRequestError::Malformed)
        );
        assert_eq!(parse(".abc", SECRET), Err(SignedRequestError::Malformed));
        assert_eq!(parse("abc.", SECRET), Err(SignedRequestError::Malformed));
        assert_eq!(parse("a!b.c", SECRET), Err(SignedRequestError::BadEncoding));
        let other_alg = sign(&json!({"algorithm":"FOO-ALGORITHM","issued_at":1}), SECRET);
        assert_eq!(
            parse(&other_alg, SECRET),
            Err(SignedRequestError::BadAlgorithm)
        );
        let lower = sign(&json!({"algorithm":"hmac-sha256","issued_at":1}), SECRET);
        assert!(parse(&lower, SECRET).is_ok());
        let no_alg = sign(&json!({"issued_at":1}), SECRET);
        assert_eq!(parse(&no_alg, SECRET), Err(SignedRequestError::BadPayload));
        let wrong_key = sign(&json!({"algorithm":"HMAC-SHA256"}), b"other");
        assert_eq!(
            parse(&wrong_key, SECRET),
            Err(SignedRequestError::BadSignature)
        );
        // A correctly signed non-JSON payload.
        let payload_part = b64url_encode(b"not json");
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(payload_part.as_bytes());
        let sr = format!(
            "{}.{payload_part}",
            b64url_encode(&mac.finalize().into_bytes())
        );
        assert_eq!(parse(&sr, SECRET), Err(SignedRequestError::BadPayload));
        assert_eq!(
            parse(&"a".repeat(MAX_LEN + 1), SECRET),
            Err(SignedRequestError::BadLength)
        );
    }

    #[test]
    fn base64url_vector() {
        let plain = "aijkoprstADIJKLOPQTUVX1256!)]-:;\"<>?.|~";
        let encoded = "YWlqa29wcnN0QURJSktMT1BRVFVWWDEyNTYhKV0tOjsiPD4_Lnx-";
        assert_eq!(b64url_encode(plain.as_bytes()), encoded);
        assert_eq!(b64url_decode(encoded).unwrap(), plain.as_bytes());
    }

    #[test]
    fn freshness_is_separate() {
        let sr = SignedRequest {
            algorithm: "HMAC-SHA256".into(),
            issued_at: Some(1_000_000),
            user_id: None,
            profile_id: None,
            oauth_token: None,
            expires: None,
            code: None,
            user: None,
            page: None,
            app_data: None,
        };
        assert_eq!(sr.check_fresh(1_000_000, 86_400, 300), Ok(()));
        assert_eq!(sr.check_fresh(1_000_000 + 86_400, 86_400, 300), Ok(()));
        assert_eq!(
            sr.check_fresh(1_000_000 + 86_401, 86_400, 300),
            Err(SignedRequestError::Stale)
        );
        assert_eq!(sr.check_fresh(1_000_000 - 300, 86_400, 300), Ok(()));
        assert_eq!(
            sr.check_fresh(1_000_000 - 301, 86_400, 300),
            Err(SignedRequestError::FromTheFuture)
        );
        let undated = SignedRequest {
            issued_at: None,
            ..sr
        };
        assert_eq!(
            undated.check_fresh(0, 86_400, 300),
            Err(SignedRequestError::MissingIssuedAt)
        );
    }

    #[test]
    fn page_removal_uses_zero_user_id() {
        let sr = sign(
            &json!({"algorithm":"HMAC-SHA256","issued_at":1,"user_id":"0","profile_id":4242}),
            SECRET,
        );
        let parsed = parse(&sr, SECRET).unwrap();
        assert_eq!(parsed.app_scoped_user_id(), None);
        assert_eq!(parsed.profile_id.as_deref(), Some("4242"));
    }

    #[test]
    fn never_panics_on_garbage() {
        let samples = [
            "....",
            ".",
            "a.b.c",
            "==.==",
            "\u{0}.\u{0}",
            "é.é",
            "-_-_.-_-_",
            "A===.B===",
        ];
        for s in samples {
            let _ = parse(s, SECRET);
        }
    }
}
