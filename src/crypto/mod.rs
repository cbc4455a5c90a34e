//! Cryptographic helpers shared across layers: random tokens, hashing, the key
//! ring derived from `security.secret_key`, and token encryption at rest.

pub mod keys;
pub mod tokens;

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::platform::facebook::signed_request::b64url_encode;

/// An unguessable URL-safe token with `bytes` bytes of entropy, from the
/// thread's CSPRNG (ChaCha12, seeded and periodically reseeded from the OS).
/// The fan page makes two for every new browser; asking the kernel each time
/// (`OsRng`, one `getrandom` call per token) was about 4% of the page's CPU.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    b64url_encode(&buf)
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token(24);
        let b = random_token(24);
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
