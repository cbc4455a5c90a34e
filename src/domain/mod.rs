//! Domain rules: plain functions and validated types. No HTTP here, and SQL only
//! through the `db` layer's functions.

pub mod advocacy;
pub mod comment_entries;
pub mod contest;
pub mod contest_admin;
pub mod demo;
pub mod draw;
pub mod entering;
pub mod entries_export;
pub mod entry_form;
pub mod events;
pub mod export;
pub mod form_start;
pub mod hooks;
pub mod images;
pub mod input;
pub mod install;
pub mod judging;
pub mod leaderboard;
pub mod lifecycle;
pub mod moderation;
pub mod oauth;
pub mod personas;
pub mod points;
pub mod privacy;
pub mod prize_poll;
pub mod reach;
pub mod referrals;
pub mod segment_admin;
pub mod segment_rules;
pub mod sentiment;
pub mod terms;
pub mod trends;
pub mod voting;
pub mod winners;
