//! Keeps tokens out of logs and error messages.
//!
//! Graph calls carry secrets in query strings and form fields (`access_token`,
//! `appsecret_proof`, the OAuth `code`, ...). Every URL this client logs or puts
//! in an error goes through [`redact_url`]; free text that may embed a URL (for
//! example a transport error) goes through [`redact_text`].

use url::Url;

/// Query and form parameters whose values are secrets.
pub const SENSITIVE_PARAMS: &[&str] = &[
    "access_token",
    "client_secret",
    "fb_exchange_token",
    "input_token",
    "code",
    "appsecret_proof",
];

/// What a redacted value is replaced with.
pub const REDACTED: &str = "***";

fn is_sensitive(key: &str) -> bool {
    SENSITIVE_PARAMS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// The URL with every sensitive query value replaced by `***` and any userinfo
/// removed. Other parameters are kept, so the log still says what was asked.
pub fn redact_url(url: &Url) -> String {
    let mut out = url.clone();
    let _ = out.set_username("");
    let _ = out.set_password(None);
    out.set_fragment(None);
    if out.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_sensitive(&k) {
                    REDACTED.to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        out.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // Belt and braces: a value that slipped through (odd encodings) is caught here.
    redact_text(out.as_str())
}

/// Replaces the values of sensitive parameters wherever they appear in free
/// text: `key=value` (as in a query string) and `"key":"value"` (as in JSON).
pub fn redact_text(text: &str) -> String {
    let mut out = text.to_string();
    for key in SENSITIVE_PARAMS {
        out = redact_pattern(&out, &format!("{key}="), |c| {
            matches!(
                c,
                '&' | '#' | ' ' | '\t' | '\r' | '\n' | '"' | '\'' | '<' | '>' | ')' | ',' | ';'
            )
        });
        out = redact_pattern(&out, &format!("\"{key}\":\""), |c| c == '"');
    }
    out
}

/// Replaces what follows each occurrence of `prefix` (not preceded by an
/// identifier character, so `error_code=` is not `code=`) up to `is_end`.
fn redact_pattern(text: &str, prefix: &str, is_end: impl Fn(char) -> bool) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(found) = lower[pos..].find(prefix) {
        let start = pos + found;
        let value_start = start + prefix.len();
        let preceded_by_ident = text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&text[pos..value_start]);
        if preceded_by_ident {
            pos = value_start;
            continue;
        }
        let value_len = text[value_start..]
            .char_indices()
            .find(|(_, c)| is_end(*c))
            .map(|(i, _)| i)
            .unwrap_or(text.len() - value_start);
        if value_len > 0 {
            out.push_str(REDACTED);
        }
        pos = value_start + value_len;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sensitive_query_value_is_redacted() {
        let url = Url::parse(
            "https://graph.facebook.com/v21.0/oauth/access_token?client_id=1&access_token=TOK1\
             &client_secret=SEC2&fb_exchange_token=TOK3&input_token=TOK4&code=CODE5\
             &appsecret_proof=PROOF6&redirect_uri=https%3A%2F%2Fx.test%2Fcb&fields=id,name",
        )
        .unwrap();
        let r = redact_url(&url);
        for secret in ["TOK1", "SEC2", "TOK3", "TOK4", "CODE5", "PROOF6"] {
            assert!(!r.contains(secret), "{secret} leaked in {r}");
        }
        assert!(r.contains("client_id=1"), "{r}");
        assert!(r.contains("access_token=***"), "{r}");
        assert!(r.contains("fields=id%2Cname"), "{r}");
    }

    #[test]
    fn userinfo_is_dropped() {
        let url = Url::parse("https://user:pw@graph.facebook.com/v21.0/me").unwrap();
        let r = redact_url(&url);
        assert!(!r.contains("pw"), "{r}");
        assert!(!r.contains("user"), "{r}");
    }

    #[test]
    fn free_text_and_json_are_redacted_but_lookalike_keys_are_not() {
        let t = "error sending request for url (http://h/v1/me?access_token=abc|def&error_code=5) \
                 body {\"access_token\":\"EAAB\",\"code\":\"xyz\"}";
        let r = redact_text(t);
        assert!(!r.contains("abc|def"), "{r}");
        assert!(!r.contains("EAAB"), "{r}");
        assert!(!r.contains("xyz"), "{r}");
        assert!(r.contains("error_code=5"), "{r}");
        assert!(r.contains("access_token=***&"), "{r}");
    }

    #[test]
    fn odd_input_never_panics() {
        for t in [
            "",
            "code=",
            "code",
            "é code=ü",
            "access_token=\u{1F600}x",
            "&&==",
        ] {
            let _ = redact_text(t);
        }
        assert_eq!(redact_text("Code=Ab"), "Code=***");
    }
}
