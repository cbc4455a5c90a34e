//! "Form start": a fan began filling in a contest's entry form. It sits between
//! the page view and the entry in the timeline (`activities.kind = 'form_start'`)
//! and in the trends funnel, once per visitor, contest and UTC day.
//!
//! Where it comes from, and why:
//! - With JavaScript, `static/app.js` posts `POST /c/{slug}/form-start` (with the
//!   form's CSRF token, so other sites cannot inflate it) the first time the fan
//!   focuses a field of the entry form. Rendering the page is not a form start:
//!   every page view renders the form, and that is already a `page_view`.
//! - Without JavaScript nothing can observe typing, so the entry itself records
//!   the form start (same dedupe key, so a beacon and an entry on the same day
//!   count once). The funnel views → form starts → entries therefore never has
//!   fewer form starts than entries; without JS it under-counts abandoned forms.
//!
//! An anonymous visitor's form start is claimed by their contact when they enter
//! (`activities::claim_visitor`), like their page views.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::QueryResult;
use serde_json::json;

use crate::db::activities::{self, NewActivity};

pub const KIND: &str = "form_start";

/// Records the form start of `visitor` (and their contact, when known) on
/// `contest_id` for the UTC day of `now`. Returns whether it is new.
pub fn record(
    conn: &mut PgConnection,
    page_id: i64,
    contest_id: i64,
    visitor: &str,
    contact_id: Option<i64>,
    via: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let day = now.format("%Y-%m-%d");
    activities::record(
        conn,
        &NewActivity {
            page_id,
            contact_id,
            visitor_id: Some(visitor),
            contest_id: Some(contest_id),
            kind: KIND,
            occurred_at: now,
            details: json!({"via": via}),
            dedupe_key: Some(format!("form_start:{contest_id}:{visitor}:{day}")),
        },
    )
}
