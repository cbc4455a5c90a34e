//! Domain rules: plain functions and validated types. No HTTP here, and SQL only
//! through the `db` layer's functions.

pub mod comment_entries;
pub mod contest;
pub mod contest_admin;
pub mod draw;
pub mod entering;
pub mod entry_form;
pub mod events;
pub mod hooks;
pub mod images;
pub mod input;
pub mod install;
pub mod lifecycle;
pub mod moderation;
pub mod oauth;
pub mod privacy;
pub mod segment_rules;
pub mod sentiment;
pub mod voting;
