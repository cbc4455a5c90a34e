//! `appsecret_proof`: lowercase hex HMAC-SHA256 of the access token, keyed with the
//! app secret. Sent with every Graph call that carries a token.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(access_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_vectors() {
        let vectors = [
            (
                "shhhhh!is.my.secret",
                "foo_token",
                "796ba0d8a6b339e476a7b166a9e8ac0a395f7de736dc37de5f2f4397f5854eb8",
            ),
            (
                "foo_secret",
                "foo_token",
                "df4256903ba4e23636cc142117aa632133d75c642bd2a68955be1443bd14deb9",
            ),
            (
                "foo_secret",
                "bar_token",
                "2ceec40b7b9fd7d38fff1767b766bcc6b1f9feb378febac4612c156e6a8354bd",
            ),
            (
                "foo_secret",
                "123|foo_secret",
                "de753c58fd58b03afca2340bbaeb4ecf987b5de4c09e39a63c944dd25efbc234",
            ),
        ];
        for (secret, token, proof) in vectors {
            assert_eq!(appsecret_proof(secret, token), proof, "{secret} {token}");
        }
    }
}
