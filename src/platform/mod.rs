//! Everything that speaks to (or impersonates) the Facebook platform.
//!
//! - [`facebook`]: the real platform's formats: webhook signatures, envelopes,
//!   signed_request, appsecret_proof, OAuth and the Graph API client.
//! - `sandbox`: a faithful fake of the platform, mounted under `/sandbox` in
//!   sandbox mode and runnable alone as `fanfare sandbox`.

pub mod facebook;
pub mod sandbox;
