//! Shared application state handed to handlers (as `web::Data<AppState>`) and to
//! job handlers (through [`Services`]).

use std::sync::Arc;

use crate::auth::keys::SecurityKeys;
use crate::config::{FacebookMode, Settings};
use crate::db::Db;
use crate::ingest::Ingestor;
use crate::jobs::worker::Wakeup;
use crate::metrics::Metrics;
use crate::platform::facebook::graph::{GraphClient, GraphConfig, GraphError, TokenOwner};

/// Where the platform lives: the sandbox under our own URL, or Facebook.
#[derive(Debug, Clone)]
pub struct PlatformUrls {
    /// Graph API base, without the version.
    pub graph: String,
    /// Base of the OAuth dialog (`{dialog}/{version}/dialog/oauth`).
    pub dialog: String,
}

impl PlatformUrls {
    pub fn resolve(settings: &Settings, public_url: &str) -> PlatformUrls {
        let fb = &settings.facebook;
        let (graph_default, dialog_default) = match fb.mode {
            FacebookMode::Sandbox => (
                format!("{public_url}/sandbox"),
                format!("{public_url}/sandbox"),
            ),
            FacebookMode::Live => (
                "https://graph.facebook.com".to_string(),
                "https://www.facebook.com".to_string(),
            ),
        };
        let pick = |configured: &str, default: String| {
            if configured.trim().is_empty() {
                default
            } else {
                configured.trim().trim_end_matches('/').to_string()
            }
        };
        PlatformUrls {
            graph: pick(&fb.graph_url, graph_default),
            dialog: pick(&fb.dialog_url, dialog_default),
        }
    }
}

/// Long-lived services shared by HTTP handlers and jobs.
pub struct Services {
    pub graph: GraphClient,
    pub urls: PlatformUrls,
}

impl Services {
    /// Builds the Graph client. A token error reported by any call marks the page
    /// (or admin) as needing re-authorisation.
    pub fn new(
        settings: &Settings,
        public_url: &str,
        db: Db,
        metrics: Metrics,
    ) -> anyhow::Result<Services> {
        let urls = PlatformUrls::resolve(settings, public_url);
        let hook_db = db.clone();
        let graph = GraphClient::new(GraphConfig::from_settings(&settings.facebook, &urls.graph))
            .map_err(|e| anyhow::anyhow!("graph client: {e}"))?
            .with_metrics(Some(metrics))
            .with_token_error_hook(std::sync::Arc::new(
                move |owner: &TokenOwner, err: &GraphError| {
                    mark_needs_reauth(&hook_db, owner, err);
                },
            ));
        Ok(Services { graph, urls })
    }
}

/// Records a token failure where the API and dashboard show it.
fn mark_needs_reauth(db: &Db, owner: &TokenOwner, err: &GraphError) {
    let owner = owner.clone();
    let message = err.to_string();
    let pool = db.pool().clone();
    // The hook is synchronous and may run on an async thread: do the write on the
    // blocking pool, fire-and-forget.
    let work = move || {
        let Ok(mut conn) = pool.get() else { return };
        let result = match &owner {
            TokenOwner::Page(page) => {
                crate::db::pages::mark_token_status(&mut conn, page, "needs_reauth", Some(&message))
            }
            TokenOwner::User(user) => {
                crate::db::admins::set_token_status(&mut conn, user, "needs_reauth")
            }
            TokenOwner::App => Ok(0),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record a token error");
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn_blocking(work);
        }
        Err(_) => work(),
    }
}

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    /// `server.public_url`, or the bound address when that is empty.
    pub public_url: String,
    pub db: Db,
    pub metrics: Metrics,
    pub ingestor: Ingestor,
    pub services: Arc<Services>,
    pub wakeup: Wakeup,
    pub keys: Arc<SecurityKeys>,
    /// Page and contest lookups of the fan tab (1 s, invalidated by contest writes).
    pub page_contests: Arc<crate::db::contests::PageContests>,
    /// The part of fan pages that is the same for every fan (`routes::fan::shared`).
    pub fan_pages: Arc<crate::routes::fan::shared::SharedCache>,
    /// Fan page views, written off the request path (`crate::views`).
    pub views: crate::views::Views,
}
