//! Domain rules: plain functions and validated types. No HTTP here, and SQL only
//! through the `db` layer's functions.

pub mod privacy;
