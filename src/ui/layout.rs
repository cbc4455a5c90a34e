//! The data the base layouts expect.
//!
//! A dashboard page's template struct has a `layout: DashboardLayout` field and
//! its template starts with `{% extends "dashboard/base.html" %}`; a fan page has
//! `layout: FanLayout` and extends `fan/base.html`. Both fill `{% block content %}`.
//! All text here is user data as far as the templates are concerned: askama
//! escapes it.

/// Sidebar sections of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Contests,
    Moderation,
    Votes,
    Pages,
    Webhooks,
    Contacts,
    Polls,
    Segments,
    Trends,
    Exports,
}

pub struct NavLink {
    pub section: Section,
    pub label: &'static str,
    pub href: &'static str,
}

/// The sidebar, in order: only sections whose pages exist. To add one, mount its
/// routes under `/dashboard/...` and append a link here.
pub const NAV: &[NavLink] = &[
    NavLink {
        section: Section::Overview,
        label: "Overview",
        href: "/dashboard",
    },
    NavLink {
        section: Section::Contests,
        label: "Contests",
        href: "/dashboard/contests",
    },
    NavLink {
        section: Section::Moderation,
        label: "Moderation",
        href: "/dashboard/moderation",
    },
    NavLink {
        section: Section::Votes,
        label: "Vote review",
        href: "/dashboard/votes",
    },
    NavLink {
        section: Section::Polls,
        label: "Prize polls",
        href: "/dashboard/polls",
    },
    NavLink {
        section: Section::Contacts,
        label: "Contacts",
        href: "/dashboard/contacts",
    },
    NavLink {
        section: Section::Trends,
        label: "Trends",
        href: "/dashboard/trends",
    },
    NavLink {
        section: Section::Segments,
        label: "Segments",
        href: "/dashboard/segments",
    },
    NavLink {
        section: Section::Exports,
        label: "Exports",
        href: "/dashboard/exports",
    },
    NavLink {
        section: Section::Pages,
        label: "Pages",
        href: "/dashboard/pages",
    },
    NavLink {
        section: Section::Webhooks,
        label: "Webhooks & queue",
        href: "/dashboard/webhooks",
    },
];

/// Where the page picker submits (`GET …?page=<page id>`).
pub const PAGE_SWITCH_PATH: &str = "/dashboard/switch-page";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Info,
    Warning,
    Error,
}

/// A one-time message shown above the content.
#[derive(Debug, Clone)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

impl Flash {
    pub fn new(kind: FlashKind, message: impl Into<String>) -> Flash {
        Flash {
            kind,
            message: message.into(),
        }
    }
    pub fn class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash flash-success",
            FlashKind::Info => "flash flash-info",
            FlashKind::Warning => "flash flash-warning",
            FlashKind::Error => "flash flash-error",
        }
    }
    /// Problems interrupt a screen reader (`alert`); good news waits (`status`).
    pub fn role(&self) -> &'static str {
        match self.kind {
            FlashKind::Warning | FlashKind::Error => "alert",
            FlashKind::Success | FlashKind::Info => "status",
        }
    }
    /// Only good news fades away by itself (app.js); a problem stays until read.
    pub fn auto_dismiss(&self) -> bool {
        matches!(self.kind, FlashKind::Success | FlashKind::Info)
    }
    /// Visible prefix, so the kind is not conveyed by colour alone.
    pub fn label(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "Done",
            FlashKind::Info => "Note",
            FlashKind::Warning => "Warning",
            FlashKind::Error => "Error",
        }
    }
}

/// A Facebook page the signed-in admin can switch to.
#[derive(Debug, Clone)]
pub struct PageChoice {
    pub id: String,
    pub name: String,
}

/// What `dashboard/base.html` reads.
#[derive(Debug, Clone)]
pub struct DashboardLayout {
    /// The document title (" · Fanfare" is appended).
    pub title: String,
    /// Highlighted sidebar entry.
    pub active: Option<Section>,
    /// Shown in the top bar when signed in.
    pub admin_name: Option<String>,
    /// The page picker lists these; hidden when there are fewer than two.
    pub pages: Vec<PageChoice>,
    pub current_page_id: Option<String>,
    pub flashes: Vec<Flash>,
    /// The session's CSRF token; when set, the top bar has a sign-out button.
    pub csrf_token: Option<String>,
}

impl DashboardLayout {
    pub fn new(title: impl Into<String>) -> DashboardLayout {
        DashboardLayout {
            title: title.into(),
            active: None,
            admin_name: None,
            pages: Vec::new(),
            current_page_id: None,
            flashes: Vec::new(),
            csrf_token: None,
        }
    }
    pub fn nav(&self) -> &'static [NavLink] {
        NAV
    }
    /// The sidebar is for signed-in admins only (the sign-in page has none).
    pub fn signed_in(&self) -> bool {
        self.admin_name.is_some()
    }
    /// Where switching pages returns to: the current section's list.
    pub fn active_href(&self) -> Option<&'static str> {
        NAV.iter()
            .find(|l| Some(l.section) == self.active)
            .map(|l| l.href)
    }
    pub fn is_active(&self, link: &NavLink) -> bool {
        self.active == Some(link.section)
    }
    pub fn is_current_page(&self, page: &PageChoice) -> bool {
        self.current_page_id.as_deref() == Some(page.id.as_str())
    }
    pub fn current_page_name(&self) -> Option<&str> {
        let id = self.current_page_id.as_deref()?;
        self.pages
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.as_str())
    }
    pub fn page_switch_path(&self) -> &'static str {
        PAGE_SWITCH_PATH
    }
}

/// What `fan/base.html` reads.
#[derive(Debug, Clone)]
pub struct FanLayout {
    /// The document title (usually the contest name).
    pub title: String,
    /// The Facebook page running the contest, shown in the header.
    pub page_name: String,
    pub privacy_url: String,
    /// Official rules of the contest, when the page is about one.
    pub rules_url: Option<String>,
    pub flashes: Vec<Flash>,
}

impl FanLayout {
    /// The privacy link, if it is a safe link target (see [`safe_href`]).
    pub fn privacy_href(&self) -> Option<&str> {
        safe_href(&self.privacy_url)
    }
    pub fn rules_href(&self) -> Option<&str> {
        self.rules_url.as_deref().and_then(safe_href)
    }

    pub fn new(title: impl Into<String>, page_name: impl Into<String>) -> FanLayout {
        FanLayout {
            title: title.into(),
            page_name: page_name.into(),
            privacy_url: "/privacy".into(),
            rules_url: None,
            flashes: Vec::new(),
        }
    }
}

/// Admin-supplied links go into `href`: only site-relative paths and http(s) URLs
/// pass, so a `javascript:` or `data:` URL can never become a link (askama escapes
/// quotes, but not URL schemes).
pub fn safe_href(url: &str) -> Option<&str> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    let ok = (u.starts_with('/') && !u.starts_with("//"))
        || lower.starts_with("https://")
        || lower.starts_with("http://");
    ok.then_some(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_links_pass() {
        assert_eq!(safe_href("/c/shirt/rules"), Some("/c/shirt/rules"));
        assert_eq!(
            safe_href(" https://example.com/rules "),
            Some("https://example.com/rules")
        );
        for bad in [
            "javascript:alert(1)",
            "JavaScript:x",
            "data:text/html,x",
            "//evil.example",
            "",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }

    #[test]
    fn flashes_do_not_rely_on_colour_alone() {
        for kind in [
            FlashKind::Success,
            FlashKind::Info,
            FlashKind::Warning,
            FlashKind::Error,
        ] {
            let f = Flash::new(kind, "x");
            assert!(!f.label().is_empty());
            assert_eq!(f.auto_dismiss(), f.role() == "status");
        }
    }
}
