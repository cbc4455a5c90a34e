//! Webhook delivery signatures (`X-Hub-Signature-256`, legacy `X-Hub-Signature`).
//!
//! The HMAC is computed over the raw body bytes exactly as received, never over
//! re-serialised JSON, and compared in constant time (`Mac::verify_slice`). The
//! header format is strict: the algorithm prefix, then lowercase hex of exactly the
//! digest length. Anything else (uppercase, whitespace, truncation) is malformed.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    Sha256,
    Sha1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no signature header")]
    Missing,
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signature does not match the body")]
    Mismatch,
    #[error("only a sha1 signature was sent, and sha1 is not accepted")]
    Sha1NotAccepted,
}

impl SignatureError {
    /// Label for the rejection counter.
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::Missing => "missing",
            SignatureError::Malformed => "malformed",
            SignatureError::Mismatch => "mismatch",
            SignatureError::Sha1NotAccepted => "sha1_not_accepted",
        }
    }
}

/// Verifies a delivery. `sha256_header` wins when present: a bad sha256 signature
/// is never rescued by a sha1 one.
pub fn verify_delivery(
    body: &[u8],
    sha256_header: Option<&[u8]>,
    sha1_header: Option<&[u8]>,
    app_secret: &[u8],
    accept_sha1: bool,
) -> Result<SignatureKind, SignatureError> {
    if let Some(header) = sha256_header {
        let expected = parse_header(header, "sha256=", 32)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("any key length");
        mac.update(body);
        return mac
            .verify_slice(&expected)
            .map(|_| SignatureKind::Sha256)
            .map_err(|_| SignatureError::Mismatch);
    }
    match sha1_header {
        None => Err(SignatureError::Missing),
        Some(_) if !accept_sha1 => Err(SignatureError::Sha1NotAccepted),
        Some(header) => {
            let expected = parse_header(header, "sha1=", 20)?;
            let mut mac = Hmac::<Sha1>::new_from_slice(app_secret).expect("any key length");
            mac.update(body);
            mac.verify_slice(&expected)
                .map(|_| SignatureKind::Sha1)
                .map_err(|_| SignatureError::Mismatch)
        }
    }
}

/// `sha256=` + 64 lowercase hex digits (or `sha1=` + 40), nothing more.
fn parse_header(header: &[u8], prefix: &str, len: usize) -> Result<Vec<u8>, SignatureError> {
    let hex_part = header
        .strip_prefix(prefix.as_bytes())
        .ok_or(SignatureError::Malformed)?;
    if hex_part.len() != len * 2
        || !hex_part
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    {
        return Err(SignatureError::Malformed);
    }
    hex::decode(hex_part).map_err(|_| SignatureError::Malformed)
}

/// The header value Facebook would send for `body` (used by the sandbox sender and tests).
pub fn sign_sha256(body: &[u8], app_secret: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Legacy sha1 header value.
pub fn sign_sha1(body: &[u8], app_secret: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(app_secret).expect("any key length");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/facebook/vectors.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn every_doc_vector_verifies_over_exact_bytes() {
        let v = vectors();
        let list = v["webhook_signatures"].as_array().unwrap();
        assert_eq!(list.len(), 6);
        for vector in list {
            let secret = vector["secret"].as_str().unwrap().as_bytes();
            let body = vector["body"].as_str().unwrap().as_bytes();
            let value = vector["value"].as_str().unwrap();
            if vector["header"] == "X-Hub-Signature-256" {
                assert_eq!(sign_sha256(body, secret), value);
                assert_eq!(
                    verify_delivery(body, Some(value.as_bytes()), None, secret, false),
                    Ok(SignatureKind::Sha256)
                );
            } else {
                assert_eq!(sign_sha1(body, secret), value);
                assert_eq!(
                    verify_delivery(body, None, Some(value.as_bytes()), secret, true),
                    Ok(SignatureKind::Sha1)
                );
                assert_eq!(
                    verify_delivery(body, None, Some(value.as_bytes()), secret, false),
                    Err(SignatureError::Sha1NotAccepted)
                );
            }
        }
    }

    #[test]
    fn escaped_and_raw_utf8_bodies_differ() {
        // The same logical JSON, signed as bytes: re-serialising would break it.
        let escaped = br#"{"message":"\u00e4\u00f6\u00e5"}"#;
        let raw = "{\"message\":\"äöå\"}".as_bytes();
        let sig = "sha256=62d62adc2a88219c01c1282382063763e36b91e04ad3ff3ed43c773924e0507b";
        assert!(verify_delivery(escaped, Some(sig.as_bytes()), None, b"APP_SECRET", false).is_ok());
        assert_eq!(
            verify_delivery(raw, Some(sig.as_bytes()), None, b"APP_SECRET", false),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn hostile_headers_are_rejected() {
        let body = b"{}";
        let good = "sha256=448df8785dd36742e43fa3cad9de2eca8ceb6391e79c742e33e52c6637f32dac";
        let cases: Vec<(String, SignatureError)> = vec![
            (good.to_uppercase(), SignatureError::Malformed),
            (
                good.replace("sha256=", "SHA256="),
                SignatureError::Malformed,
            ),
            (format!(" {good}"), SignatureError::Malformed),
            (format!("{good} "), SignatureError::Malformed),
            (
                good[..good.len() - 2].to_string(),
                SignatureError::Malformed,
            ),
            (String::new(), SignatureError::Malformed),
            ("sha256=".into(), SignatureError::Malformed),
            (good.replace("448d", "448D"), SignatureError::Malformed),
            (
                "sha256=".to_string() + &"0".repeat(64),
                SignatureError::Mismatch,
            ),
        ];
        for (header, expected) in cases {
            assert_eq!(
                verify_delivery(body, Some(header.as_bytes()), None, b"FAKE_SECRET", true),
                Err(expected),
                "{header:?}"
            );
        }
        assert_eq!(
            verify_delivery(body, Some(good.as_bytes()), None, b"WRONG_SECRET", false),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_delivery(body, None, None, b"FAKE_SECRET", true),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn a_bad_sha256_is_not_rescued_by_a_good_sha1() {
        let body = b"{}";
        let sha1 = sign_sha1(body, b"FAKE_SECRET");
        let bad256 = "sha256=".to_string() + &"1".repeat(64);
        assert_eq!(
            verify_delivery(
                body,
                Some(bad256.as_bytes()),
                Some(sha1.as_bytes()),
                b"FAKE_SECRET",
                true
            ),
            Err(SignatureError::Mismatch)
        );
    }
}
