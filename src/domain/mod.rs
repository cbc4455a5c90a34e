//! Domain rules: plain functions and validated types. No HTTP here, and SQL only
//! through the `db` layer's functions.

pub mod draw;
pub mod images;
pub mod install;
pub mod oauth;
pub mod privacy;
pub mod segment_rules;
pub mod sentiment;
