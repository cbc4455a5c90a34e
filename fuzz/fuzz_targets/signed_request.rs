//! signed_request parsing (tab, deauthorize, data deletion callbacks).
//!
//! First byte picks the mode: even → the input is the `signature.payload` string
//! as a client would send it; odd → the rest is a payload that gets validly
//! signed first, so the decoder behind the HMAC check is reached too.
#![no_main]

use fanfare::platform::facebook::signed_request::{b64url_decode, b64url_encode, parse, verify};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-app-secret";

fn signed(payload: &[u8]) -> String {
    use hmac_sig::sign;
    let p = b64url_encode(payload);
    format!("{}.{}", b64url_encode(&sign(p.as_bytes())), p)
}

mod hmac_sig {
    // HMAC-SHA256 through the public webhook signer: "sha256=<hex>".
    pub fn sign(data: &[u8]) -> Vec<u8> {
        let header = fanfare::platform::facebook::signature::sign_sha256(data, super::SECRET);
        (0..64)
            .step_by(2)
            .map(|i| u8::from_str_radix(&header[7 + i..9 + i], 16).unwrap())
            .collect()
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let input = if mode % 2 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        signed(rest)
    };
    let _ = b64url_decode(&input);
    let _ = verify(&input, SECRET);
    if let Ok(req) = parse(&input, SECRET) {
        // Freshness must never overflow or panic, whatever the dates.
        for now in [0, i64::MIN, i64::MAX, 1_733_300_000] {
            let _ = req.check_fresh(now, 86_400, 300);
            let _ = req.check_fresh(now, i64::MAX, i64::MAX);
        }
        let _ = req.app_scoped_user_id();
    }
    // A validly signed payload is accepted or refused, never mistaken: the same
    // bytes under another secret never verify.
    if mode % 2 == 1 {
        assert!(verify(&input, b"another-secret").is_err());
    }
});
