//! Facebook platform formats, exactly as documented in
//! `../shared/docs/facebook-platform.md`.

pub mod graph;
pub mod ids;
pub mod proof;
pub mod signature;
pub mod signed_request;
pub mod webhook;
