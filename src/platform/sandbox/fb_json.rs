//! JSON serialised the way Facebook sends webhooks: ASCII only, non-ASCII escaped
//! as `\uXXXX` (surrogate pairs beyond the BMP) and `/` escaped as `\/`. Signatures
//! are computed over exactly these bytes.

use serde_json::Value;

pub fn to_facebook_json(value: &Value) -> Vec<u8> {
    let compact = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(compact.len() + 16);
    // Outside strings JSON holds only ASCII punctuation, digits and literals, so
    // every non-ASCII character and every '/' is inside a string: escaping them
    // character by character is safe.
    for ch in compact.chars() {
        match ch {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_like_facebook() {
        let v = json!({"message": "äöå http://x/y 😀", "n": 1});
        let bytes = to_facebook_json(&v);
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.is_ascii());
        assert!(text.contains(r"\u00e4\u00f6\u00e5"));
        assert!(text.contains(r"http:\/\/x\/y"));
        assert!(text.contains(r"\ud83d\ude00"));
        let back: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn matches_the_doc_vector_bytes() {
        let bytes = to_facebook_json(&json!({"message": "äöå"}));
        assert_eq!(bytes, br#"{"message":"\u00e4\u00f6\u00e5"}"#.to_vec());
        assert_eq!(
            crate::platform::facebook::signature::sign_sha256(&bytes, b"APP_SECRET"),
            "sha256=62d62adc2a88219c01c1282382063763e36b91e04ad3ff3ed43c773924e0507b"
        );
    }
}
