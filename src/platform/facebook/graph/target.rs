//! Which business object a call targets.
//!
//! Business-use-case rate limits are counted per object (a page), so the client
//! needs to know which object a call is about: the first path segment after the
//! version (`{page}_{post}` also counts against `{page}`), and the page of a page
//! token. The same place checks that ids taken from webhooks or users cannot
//! change the path.

use super::error::GraphError;
use super::token::AccessToken;

/// The objects a call counts against: the path's first segment (a post id
/// `page_post` also counts against its page) and the page of a page token.
pub(crate) fn objects_for(target: Option<String>, token: Option<&AccessToken>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = target {
        if let Some((page, _)) = t.split_once('_') {
            if !page.is_empty() {
                out.push(page.to_string());
            }
        }
        out.push(t);
    }
    if let Some(page) = token.and_then(AccessToken::page_id) {
        out.push(page.to_string());
    }
    out
}

/// The first path segment after an optional version segment: `v21.0/123_4/comments?x`
/// and `/123_4` both give `123_4`.
pub(crate) fn target_of_relative(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let mut first = segments.next()?;
    if is_version_segment(first) {
        first = segments.next()?;
    }
    Some(first.to_string())
}

fn is_version_segment(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next() == Some('v')
        && chars.clone().next().is_some_and(|c| c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_digit() || c == '.')
}

/// Rejects ids that could change the path (`/`, `?`, `..`): ids come from
/// webhooks and users.
pub(crate) fn check_id(id: &str) -> Result<&str, GraphError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if ok {
        Ok(id)
    } else {
        Err(GraphError::InvalidRequest {
            message: format!(
                "not a Graph object id: {:?}",
                id.chars().take(40).collect::<String>()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_skip_the_version_and_stop_at_the_query() {
        assert_eq!(
            target_of_relative("v21.0/1_2/comments?x=1").as_deref(),
            Some("1_2")
        );
        assert_eq!(target_of_relative("/42").as_deref(), Some("42"));
        assert_eq!(target_of_relative("me?fields=id").as_deref(), Some("me"));
        assert_eq!(target_of_relative("v21.0/").as_deref(), None);
        assert_eq!(target_of_relative("").as_deref(), None);
        assert_eq!(target_of_relative("vip/1").as_deref(), Some("vip"));
    }

    #[test]
    fn objects_include_the_page_of_a_post_and_of_a_page_token() {
        let t = AccessToken::page("9", "x");
        assert_eq!(
            objects_for(Some("42_7".into()), Some(&t)),
            vec!["42".to_string(), "42_7".into(), "9".into()]
        );
        assert!(objects_for(None, None).is_empty());
    }

    #[test]
    fn ids_that_could_change_the_path_are_refused() {
        for ok in ["42", "1_2", "act_9", "v1.2"] {
            assert!(check_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "1/2",
            "1?a",
            "1#x",
            "a b",
            "é",
            &"9".repeat(129),
        ] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
