//! Helpers for API inputs: absent vs null, and bounded text. They live in
//! `domain::input` because the dashboard's forms apply the same rules.

pub use crate::domain::input::{double_option, text};
