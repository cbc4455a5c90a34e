//! HS256 JSON Web Tokens with key ids. Only HS256 is accepted: `none` and every
//! other algorithm are rejected before any signature check, and the key is chosen
//! by `kid` from the key ring (current or previous).

use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::crypto::keys::KeyRing;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token uses a forbidden algorithm")]
    Algorithm,
    #[error("the token was signed with an unknown key")]
    UnknownKey,
    #[error("the token signature is invalid")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not for this audience")]
    Audience,
}

pub fn sign<C: Serialize>(ring: &KeyRing, claims: &C) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(ring.current.id_hex());
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(&ring.current.bytes),
    )
    .expect("HS256 encoding of plain claims cannot fail")
}

/// Verifies signature, algorithm, expiry (no leeway beyond 5 s) and audience.
pub fn verify<C: DeserializeOwned>(
    ring: &KeyRing,
    token: &str,
    audience: &str,
) -> Result<C, JwtError> {
    // Reject anything that is not exactly three base64url segments before parsing.
    if token.len() > 4096 || token.split('.').count() != 3 {
        return Err(JwtError::Malformed);
    }
    let header = decode_header(token).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidAlgorithmName => JwtError::Algorithm,
        _ => JwtError::Malformed,
    })?;
    if header.alg != Algorithm::HS256 {
        return Err(JwtError::Algorithm);
    }
    let kid = header.kid.ok_or(JwtError::UnknownKey)?;
    let key = ring.find_hex(&kid).ok_or(JwtError::UnknownKey)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.algorithms = vec![Algorithm::HS256];
    validation.leeway = 5;
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iat", "sub", "aud"]);
    decode::<C>(token, &DecodingKey::from_secret(&key.bytes), &validation)
        .map(|d| d.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => JwtError::Expired,
            jsonwebtoken::errors::ErrorKind::InvalidSignature => JwtError::Signature,
            jsonwebtoken::errors::ErrorKind::InvalidAudience => JwtError::Audience,
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => JwtError::Algorithm,
            _ => JwtError::Malformed,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CookieSecure, Secret, SecuritySettings};
    use crate::crypto::keys::Purpose;
    use crate::platform::facebook::signed_request::b64url_encode;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct C {
        sub: String,
        aud: String,
        iat: i64,
        exp: i64,
    }

    fn ring(key: &str) -> KeyRing {
        KeyRing::new(
            &SecuritySettings {
                secret_key: Secret::new(key),
                previous_secret_keys: vec![],
                session_ttl_secs: 60,
                session_max_age_secs: 120,
                fan_session_ttl_secs: 60,
                oauth_state_ttl_secs: 60,
                cookie_secure: CookieSecure::Auto,
            },
            Purpose::AdminSession,
        )
    }

    fn claims(exp_offset: i64) -> C {
        let now = chrono::Utc::now().timestamp();
        C {
            sub: "1".into(),
            aud: "a".into(),
            iat: now,
            exp: now + exp_offset,
        }
    }

    #[test]
    fn round_trip() {
        let r = ring("k");
        let t = sign(&r, &claims(60));
        assert_eq!(verify::<C>(&r, &t, "a").unwrap().sub, "1");
        assert_eq!(verify::<C>(&r, &t, "b"), Err(JwtError::Audience));
    }

    #[test]
    fn attacks_are_rejected() {
        let r = ring("k");
        let good = sign(&r, &claims(60));
        let parts: Vec<&str> = good.split('.').collect();
        let kid = r.current.id_hex();
        // alg none, unsigned.
        let none = format!(
            "{}.{}.",
            b64url_encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{kid}"}}"#).as_bytes()),
            parts[1]
        );
        assert!(matches!(
            verify::<C>(&r, &none, "a"),
            Err(JwtError::Algorithm | JwtError::Malformed)
        ));
        // Another algorithm with the same key material.
        let hs512 = encode(
            &{
                let mut h = Header::new(Algorithm::HS512);
                h.kid = Some(kid.clone());
                h
            },
            &claims(60),
            &EncodingKey::from_secret(&r.current.bytes),
        )
        .unwrap();
        assert_eq!(verify::<C>(&r, &hs512, "a"), Err(JwtError::Algorithm));
        // Wrong key (same kid claimed).
        let other = ring("other");
        let forged = {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = Some(kid.clone());
            encode(
                &h,
                &claims(60),
                &EncodingKey::from_secret(&other.current.bytes),
            )
            .unwrap()
        };
        assert_eq!(verify::<C>(&r, &forged, "a"), Err(JwtError::Signature));
        // Expired.
        let expired = sign(&r, &claims(-60));
        assert_eq!(verify::<C>(&r, &expired, "a"), Err(JwtError::Expired));
        // Tampered payload.
        let tampered_payload = b64url_encode(br#"{"sub":"2","aud":"a","iat":1,"exp":99999999999}"#);
        let tampered = format!("{}.{}.{}", parts[0], tampered_payload, parts[2]);
        assert_eq!(verify::<C>(&r, &tampered, "a"), Err(JwtError::Signature));
        assert_eq!(verify::<C>(&r, "garbage", "a"), Err(JwtError::Malformed));
    }
}
