//! Who is calling: admin sessions (JWT, HS256 only), fan sessions (a separate
//! signed cookie), CSRF tokens for forms, and cookie policy.
//!
//! Admin JWTs name a row in `admin_sessions`, so logout and deauthorization revoke
//! a session for every process at once; the JWT itself is short-lived and renewed
//! while the dashboard is in use, never beyond the session's hard expiry.

pub mod admin;
pub mod cookies;
pub mod csrf;
pub mod fan;
pub mod jwt;
pub mod keys;
