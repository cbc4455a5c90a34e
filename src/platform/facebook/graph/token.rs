//! Access tokens and whose they are.
//!
//! A token is never a bare string in this client: it travels as an [`AccessToken`]
//! that keeps the value secret (its `Debug` prints `***`) and remembers its
//! [`TokenOwner`]. When Facebook rejects a token, the error and the
//! token-error hook can then say *whose* token failed, so the application can
//! ask exactly that page or user to authorise again.

use std::fmt;

use crate::config::Secret;

/// Who a token belongs to. Ids are Facebook ids (page ids, app-scoped user ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenOwner {
    /// A page access token for this page id.
    Page(String),
    /// A user access token for this (app-scoped) user id.
    User(String),
    /// The app token `app_id|app_secret`.
    App,
}

impl fmt::Display for TokenOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenOwner::Page(id) => write!(f, "page {id}"),
            TokenOwner::User(id) => write!(f, "user {id}"),
            TokenOwner::App => f.write_str("app"),
        }
    }
}

/// An access token together with its owner. `Debug` never shows the value.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub value: Secret,
    pub owner: TokenOwner,
}

impl AccessToken {
    /// A page access token.
    pub fn page(page_id: impl Into<String>, value: impl Into<String>) -> Self {
        AccessToken {
            value: Secret::new(value),
            owner: TokenOwner::Page(page_id.into()),
        }
    }

    /// A user access token.
    pub fn user(user_id: impl Into<String>, value: impl Into<String>) -> Self {
        AccessToken {
            value: Secret::new(value),
            owner: TokenOwner::User(user_id.into()),
        }
    }

    /// The app token, `app_id|app_secret`, as Facebook defines it. Used for
    /// `debug_token` and other app-level calls.
    pub fn app(app_id: &str, app_secret: &Secret) -> Self {
        AccessToken {
            value: Secret::new(format!("{app_id}|{}", app_secret.expose())),
            owner: TokenOwner::App,
        }
    }

    /// The page id when this is a page token. Business-use-case rate limits are
    /// counted per page for page tokens, so a paused page pauses its token too.
    pub fn page_id(&self) -> Option<&str> {
        match &self.owner {
            TokenOwner::Page(id) => Some(id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_token_is_id_pipe_secret_and_debug_hides_it() {
        let t = AccessToken::app("123", &Secret::new("foo_secret"));
        assert_eq!(t.value.expose(), "123|foo_secret");
        assert_eq!(t.owner, TokenOwner::App);
        let debug = format!("{t:?}");
        assert!(!debug.contains("foo_secret"), "{debug}");
    }

    #[test]
    fn owners_display_and_page_id() {
        let p = AccessToken::page("42", "tok");
        assert_eq!(p.page_id(), Some("42"));
        assert_eq!(p.owner.to_string(), "page 42");
        assert_eq!(AccessToken::user("7", "tok").page_id(), None);
        assert_eq!(TokenOwner::User("7".into()).to_string(), "user 7");
    }
}
