//! Shared application state handed to handlers (as `web::Data<AppState>`) and to
//! job handlers (through [`Services`]).

use std::sync::Arc;

use crate::auth::keys::SecurityKeys;
use crate::config::Settings;
use crate::db::Db;
use crate::ingest::Ingestor;
use crate::jobs::worker::Wakeup;
use crate::metrics::Metrics;

/// Long-lived services shared by HTTP handlers and jobs.
#[derive(Default)]
pub struct Services {}

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
}
