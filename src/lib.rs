//! Fanfare: contests and promotions on Facebook pages, feeding a social CRM.
//!
//! Data flows one way: a request or platform event arrives at [`routes`], is
//! checked, becomes a [`domain`] action, is stored through [`db`], and later work
//! runs from the durable queue in [`jobs`]. [`platform`] speaks Facebook's formats.

pub mod auth;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod ingest;
pub mod jobs;
pub mod metrics;
pub mod platform;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod ui;
pub mod views;
