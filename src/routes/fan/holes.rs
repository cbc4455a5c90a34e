//! A rendered fan page kept with holes for the few per-request values (CSRF
//! token, the signed_request field, the fan's name), so serving it is copying
//! bytes instead of running the template. The template renders once with
//! sentinels in place of those values; the output is split at the sentinels.
//! The sentinels carry a random per-process token, so page content (titles,
//! entries) cannot forge one. Values are HTML-escaped when filled, exactly as
//! the template would have escaped them.

use std::fmt::Write;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hole {
    Csrf,
    SignedRequest,
    FanName,
}

const HOLES: [Hole; 3] = [Hole::Csrf, Hole::SignedRequest, Hole::FanName];

/// The sentinel the template receives in place of `hole`.
pub fn sentinel(hole: Hole) -> &'static str {
    static TOKENS: OnceLock<[String; 3]> = OnceLock::new();
    let t = TOKENS.get_or_init(|| {
        let nonce = crate::crypto::random_token(12);
        HOLES.map(|h| format!("\u{1}hole-{h:?}-{nonce}\u{1}"))
    });
    &t[HOLES.iter().position(|h| *h == hole).expect("known hole")]
}

/// Literal HTML, then the hole that follows it (none after the last piece).
pub struct Holed {
    parts: Vec<(String, Option<Hole>)>,
    len: usize,
}

impl Holed {
    pub fn split(html: &str) -> Holed {
        let mut parts = Vec::new();
        let mut rest = html;
        loop {
            let next = HOLES
                .iter()
                .filter_map(|h| rest.find(sentinel(*h)).map(|at| (at, *h)))
                .min_by_key(|(at, _)| *at);
            match next {
                Some((at, hole)) => {
                    parts.push((rest[..at].to_string(), Some(hole)));
                    rest = &rest[at + sentinel(hole).len()..];
                }
                None => {
                    parts.push((rest.to_string(), None));
                    break;
                }
            }
        }
        Holed {
            len: html.len(),
            parts,
        }
    }

    /// The page with each hole filled by `value(hole)`, escaped.
    pub fn fill(&self, value: impl Fn(Hole) -> String) -> String {
        let mut out = String::with_capacity(self.len + 256);
        for (literal, hole) in &self.parts {
            out.push_str(literal);
            if let Some(h) = hole {
                let v = value(*h);
                let _ = write!(
                    out,
                    "{}",
                    askama::filters::escape(&v, askama::filters::Html).expect("infallible")
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_filled_escaped_and_page_text_is_left_alone() {
        let html = format!(
            "<p>{}</p><input value=\"{}\"><b>{}</b>\u{1}hole-Csrf-fake\u{1}",
            sentinel(Hole::FanName),
            sentinel(Hole::Csrf),
            sentinel(Hole::Csrf)
        );
        let page = Holed::split(&html).fill(|h| match h {
            Hole::FanName => "<Eve & \"co\">".into(),
            Hole::Csrf => "tok".into(),
            Hole::SignedRequest => unreachable!(),
        });
        assert_eq!(
            page,
            "<p>&#60;Eve &#38; &#34;co&#34;&#62;</p><input value=\"tok\"><b>tok</b>\u{1}hole-Csrf-fake\u{1}"
        );
    }
}
