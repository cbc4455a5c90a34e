//! CSRF tokens for every form that changes state.
//!
//! A token is `HMAC(csrf key, binding)`, where the binding is the admin session id
//! for dashboard forms, or a random nonce kept in the `fanfare_csrf` cookie for fan
//! forms. Stateless, so any process can check it; unforgeable without the key; and
//! useless to another browser because the binding differs.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::crypto::keys::KeyRing;
use crate::platform::facebook::signed_request::{b64url_decode, b64url_encode};
use crate::state::AppState;

fn ring(state: &AppState) -> &KeyRing {
    &state.keys.csrf
}

pub fn token_for(state: &AppState, binding: &str) -> String {
    let ring = ring(state);
    let mut mac = Hmac::<Sha256>::new_from_slice(&ring.current.bytes).expect("any key length");
    mac.update(b"csrf|");
    mac.update(binding.as_bytes());
    b64url_encode(&mac.finalize().into_bytes())
}

/// Constant-time check against the current and previous keys.
pub fn verify(state: &AppState, binding: &str, token: &str) -> bool {
    let Some(tag) = b64url_decode(token) else {
        return false;
    };
    let ring = ring(state);
    std::iter::once(&ring.current)
        .chain(ring.previous.iter())
        .any(|key| {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key.bytes).expect("any key length");
            mac.update(b"csrf|");
            mac.update(binding.as_bytes());
            mac.verify_slice(&tag).is_ok()
        })
}
