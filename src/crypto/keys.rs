//! The key ring. Every key Fanfare uses is derived from `security.secret_key` with
//! HKDF-SHA256 and a purpose label, so one master secret never serves two purposes
//! directly. `security.previous_secret_keys` stay usable for verification and
//! decryption during a rotation; new material always uses the current key.

use hkdf::Hkdf;
use sha2::{Digest, Sha256};

use crate::config::SecuritySettings;

/// What a derived key is for. Changing a label invalidates everything made with it.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    TokenEncryption,
    AdminSession,
    FanSession,
    Csrf,
    Referral,
}

impl Purpose {
    fn label(&self) -> &'static [u8] {
        match self {
            Purpose::TokenEncryption => b"fanfare token-encryption v1",
            Purpose::AdminSession => b"fanfare admin-session v1",
            Purpose::FanSession => b"fanfare fan-session v1",
            Purpose::Csrf => b"fanfare csrf v1",
            Purpose::Referral => b"fanfare referral v1",
        }
    }
}

/// A derived 32-byte key and its short public id (first 4 bytes of its SHA-256).
#[derive(Clone)]
pub struct DerivedKey {
    pub id: [u8; 4],
    pub bytes: [u8; 32],
}

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DerivedKey({})", hex::encode(self.id))
    }
}

impl DerivedKey {
    pub fn id_hex(&self) -> String {
        hex::encode(self.id)
    }
}

fn derive(master: &str, purpose: Purpose) -> DerivedKey {
    let hk = Hkdf::<Sha256>::new(Some(b"fanfare"), master.as_bytes());
    let mut bytes = [0u8; 32];
    hk.expand(purpose.label(), &mut bytes)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    let digest = Sha256::digest(bytes);
    let mut id = [0u8; 4];
    id.copy_from_slice(&digest[..4]);
    DerivedKey { id, bytes }
}

/// Current and previous keys for one purpose.
#[derive(Clone, Debug)]
pub struct KeyRing {
    pub current: DerivedKey,
    pub previous: Vec<DerivedKey>,
}

impl KeyRing {
    pub fn new(security: &SecuritySettings, purpose: Purpose) -> KeyRing {
        KeyRing {
            current: derive(security.secret_key.expose(), purpose),
            previous: security
                .previous_secret_keys
                .iter()
                .filter(|k| !k.is_empty())
                .map(|k| derive(k.expose(), purpose))
                .collect(),
        }
    }

    /// The key with this id, current first.
    pub fn find(&self, id: &[u8]) -> Option<&DerivedKey> {
        std::iter::once(&self.current)
            .chain(self.previous.iter())
            .find(|k| k.id == id)
    }

    pub fn find_hex(&self, id_hex: &str) -> Option<&DerivedKey> {
        hex::decode(id_hex).ok().and_then(|id| self.find(&id))
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
    fn purposes_get_distinct_keys_and_rotation_keeps_old_ones() {
        let s = security("master-one", &["master-zero"]);
        let enc = KeyRing::new(&s, Purpose::TokenEncryption);
        let jwt = KeyRing::new(&s, Purpose::AdminSession);
        assert_ne!(enc.current.bytes, jwt.current.bytes);
        assert_ne!(enc.current.id, enc.previous[0].id);
        assert!(enc.find(&enc.previous[0].id).is_some());
        assert!(enc.find(&[0, 0, 0, 0]).is_none());
        assert!(!format!("{enc:?}").contains(&hex::encode(enc.current.bytes)));
    }
}
