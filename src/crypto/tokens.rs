//! Platform tokens encrypted at rest with AES-256-GCM.
//!
//! Layout: `0x01 | key id (4) | nonce (12) | ciphertext+tag`. The key comes from the
//! [`KeyRing`] for [`Purpose::TokenEncryption`]; the key id says which one sealed
//! it, so tokens sealed before a rotation still open while the old key is listed
//! in `security.previous_secret_keys`. The associated data binds a ciphertext to
//! its row (e.g. `page:<fb page id>`), so it cannot be moved to another row.
//!
//! Rotating the key: put the new key in `security.secret_key`, move the old one to
//! `security.previous_secret_keys`, restart, run `fanfare rotate-keys` (re-seals
//! every stored token with the new key), then drop the old key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::RngCore;

use super::keys::{KeyRing, Purpose};
use crate::config::SecuritySettings;

const VERSION: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("ciphertext is malformed")]
    Malformed,
    #[error("ciphertext was sealed with a key that is no longer configured")]
    UnknownKey,
    #[error("ciphertext failed authentication")]
    Tampered,
}

#[derive(Clone, Debug)]
pub struct TokenCipher {
    ring: KeyRing,
}

impl TokenCipher {
    pub fn new(security: &SecuritySettings) -> TokenCipher {
        TokenCipher {
            ring: KeyRing::new(security, Purpose::TokenEncryption),
        }
    }

    pub fn encrypt(&self, plaintext: &str, aad: &str) -> Vec<u8> {
        let key = &self.ring.current;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key.bytes));
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short token cannot fail");
        let mut out = Vec::with_capacity(1 + 4 + 12 + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&key.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn decrypt(&self, blob: &[u8], aad: &str) -> Result<String, CryptoError> {
        if blob.len() < 1 + 4 + 12 + 16 || blob[0] != VERSION {
            return Err(CryptoError::Malformed);
        }
        let key = self.ring.find(&blob[1..5]).ok_or(CryptoError::UnknownKey)?;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key.bytes));
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&blob[5..17]),
                Payload {
                    msg: &blob[17..],
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Malformed)
    }

    /// True when the blob was sealed with an older key.
    pub fn needs_rotation(&self, blob: &[u8]) -> bool {
        blob.len() >= 5 && blob[1..5] != self.ring.current.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CookieSecure, Secret};

    fn security(current: &str, previous: &[&str]) -> SecuritySettings {
        SecuritySettings {
            secret_key: Secret::new(current),
            previous_secret_keys: previous.iter().map(|p| Secret::new(*p)).collect(),
            session_ttl_secs: 3600,
            session_max_age_secs: 7200,
            fan_session_ttl_secs: 3600,
            oauth_state_ttl_secs: 600,
            cookie_secure: CookieSecure::Auto,
        }
    }

    #[test]
    fn round_trip_and_ciphertext_hides_the_token() {
        let c = TokenCipher::new(&security("k1", &[]));
        let blob = c.encrypt("EAAPsecret-token", "page:1");
        assert!(!blob.windows(6).any(|w| w == b"EAAPse"));
        assert_eq!(c.decrypt(&blob, "page:1").unwrap(), "EAAPsecret-token");
        assert_ne!(
            blob,
            c.encrypt("EAAPsecret-token", "page:1"),
            "fresh nonce each time"
        );
    }

    #[test]
    fn tampering_wrong_row_and_unknown_keys_fail() {
        let c = TokenCipher::new(&security("k1", &[]));
        let mut blob = c.encrypt("tok", "page:1");
        assert_eq!(c.decrypt(&blob, "page:2"), Err(CryptoError::Tampered));
        let last = blob.len() - 1;
        blob[last] ^= 1;
        assert_eq!(c.decrypt(&blob, "page:1"), Err(CryptoError::Tampered));
        assert_eq!(c.decrypt(b"short", "page:1"), Err(CryptoError::Malformed));
        let other = TokenCipher::new(&security("k2", &[]));
        let blob = c.encrypt("tok", "page:1");
        assert_eq!(other.decrypt(&blob, "page:1"), Err(CryptoError::UnknownKey));
    }

    #[test]
    fn rotation_opens_old_blobs_and_flags_them() {
        let old = TokenCipher::new(&security("k1", &[]));
        let blob = old.encrypt("tok", "admin:7");
        let rotated = TokenCipher::new(&security("k2", &["k1"]));
        assert_eq!(rotated.decrypt(&blob, "admin:7").unwrap(), "tok");
        assert!(rotated.needs_rotation(&blob));
        assert!(!rotated.needs_rotation(&rotated.encrypt("tok", "admin:7")));
    }
}
