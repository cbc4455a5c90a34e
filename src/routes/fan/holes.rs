//! A rendered fan page kept with holes for the few per-request values (CSRF
//! token, the signed_request field, the fan's name), so serving it is copying
//! bytes instead of running the template. The template renders once with
//! sentinels in place of those values; the output is split at the sentinels.
//! The sentinels carry a random per-process token, so page content (titles,
//! entries) cannot forge one. Values are HTML-escaped when filled, exactly as
//! the template would have escaped them. The literal pieces are shared
//! buffers: a response is sent as those pieces and the filled values, without
//! copying the page into a new string first.

use std::convert::Infallible;
use std::sync::OnceLock;

use actix_web::body::SizedStream;
use actix_web::web::Bytes;

/// A filled page, as the response body streams it.
pub type Pieces = futures::stream::Iter<std::vec::IntoIter<Result<Bytes, Infallible>>>;

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
    parts: Vec<(Bytes, Option<Hole>)>,
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
                    parts.push((Bytes::copy_from_slice(&rest.as_bytes()[..at]), Some(hole)));
                    rest = &rest[at + sentinel(hole).len()..];
                }
                None => {
                    parts.push((Bytes::copy_from_slice(rest.as_bytes()), None));
                    break;
                }
            }
        }
        Holed { parts }
    }

    /// The page's pieces with each hole filled by `value(hole)`, escaped.
    pub fn fill(&self, value: impl Fn(Hole) -> String) -> Vec<Bytes> {
        let mut out = Vec::with_capacity(self.parts.len() * 2);
        for (literal, hole) in &self.parts {
            out.push(literal.clone());
            if let Some(h) = hole {
                out.push(escaped(value(*h)));
            }
        }
        out
    }

    /// [`Holed::fill`] as a response body of known length.
    pub fn body(&self, value: impl Fn(Hole) -> String) -> SizedStream<Pieces> {
        let pieces = self.fill(value);
        let len = pieces.iter().map(|b| b.len() as u64).sum();
        let pieces: Vec<Result<Bytes, Infallible>> = pieces.into_iter().map(Ok).collect();
        SizedStream::new(len, futures::stream::iter(pieces))
    }
}

/// HTML-escaped like the template escapes; most values (tokens, signed
/// requests) have nothing to escape and are passed through.
fn escaped(v: String) -> Bytes {
    if !v
        .bytes()
        .any(|b| matches!(b, b'<' | b'>' | b'&' | b'"' | b'\''))
    {
        return Bytes::from(v);
    }
    Bytes::from(
        askama::filters::escape(&v, askama::filters::Html)
            .expect("infallible")
            .to_string(),
    )
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
        let pieces = Holed::split(&html).fill(|h| match h {
            Hole::FanName => "<Eve & \"co\">".into(),
            Hole::Csrf => "tok".into(),
            Hole::SignedRequest => unreachable!(),
        });
        let page = String::from_utf8(pieces.concat()).unwrap();
        assert_eq!(
            page,
            "<p>&#60;Eve &#38; &#34;co&#34;&#62;</p><input value=\"tok\"><b>tok</b>\u{1}hole-Csrf-fake\u{1}"
        );
    }
}
