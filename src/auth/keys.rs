//! The derived keys the request path needs, built once at start-up.

use crate::config::SecuritySettings;
use crate::crypto::keys::{KeyRing, Purpose};
use crate::crypto::tokens::TokenCipher;

#[derive(Clone, Debug)]
pub struct SecurityKeys {
    pub admin_session: KeyRing,
    pub fan_session: KeyRing,
    pub csrf: KeyRing,
    pub referral: KeyRing,
    pub tokens: TokenCipher,
}

impl SecurityKeys {
    pub fn new(s: &SecuritySettings) -> SecurityKeys {
        SecurityKeys {
            admin_session: KeyRing::new(s, Purpose::AdminSession),
            fan_session: KeyRing::new(s, Purpose::FanSession),
            csrf: KeyRing::new(s, Purpose::Csrf),
            referral: KeyRing::new(s, Purpose::Referral),
            tokens: TokenCipher::new(s),
        }
    }
}
