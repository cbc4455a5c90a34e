//! Erasers: one per table that holds personal data. Registered in [`ERASERS`] and
//! run, in order, by [`crate::domain::privacy::erase_subject`].

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::schema::{
    admins, contact_identities, deauthorizations, fan_tokens, webhook_deliveries, webhook_events,
};
use crate::domain::privacy::scrub_delivery_body;

/// The person being erased, with every id Fanfare links to them.
#[derive(Debug, Clone)]
pub struct Subject {
    pub app_scoped_user_id: String,
    /// Every platform id of this person: the app-scoped id plus page-scoped ids.
    pub platform_ids: Vec<String>,
    /// Normalised emails linked to the person's contacts.
    pub emails: Vec<String>,
    /// Their contacts, on every page.
    pub contact_ids: Vec<i64>,
}

/// Collects every id Fanfare links to the app-scoped user, through the contacts
/// that carry it (see `db::contacts` for how identities are linked).
pub fn resolve_subject(conn: &mut PgConnection, asid: &str) -> QueryResult<Subject> {
    let contact_ids: Vec<i64> = contact_identities::table
        .filter(contact_identities::kind.eq_any(["asid", "psid"]))
        .filter(contact_identities::value.eq(asid))
        .select(contact_identities::contact_id)
        .distinct()
        .load(conn)?;
    let identities: Vec<(String, String)> = contact_identities::table
        .filter(contact_identities::contact_id.eq_any(&contact_ids))
        .select((contact_identities::kind, contact_identities::value))
        .load(conn)?;
    let mut platform_ids = vec![asid.to_string()];
    let mut emails = Vec::new();
    for (kind, value) in identities {
        match kind.as_str() {
            "email" => emails.push(value),
            _ if !platform_ids.contains(&value) => platform_ids.push(value),
            _ => {}
        }
    }
    Ok(Subject {
        app_scoped_user_id: asid.to_string(),
        platform_ids,
        emails,
        contact_ids,
    })
}

pub type Eraser = fn(&mut PgConnection, &Subject) -> QueryResult<usize>;

/// Every table with personal data, in the order they are erased.
pub const ERASERS: &[(&str, Eraser)] = &[
    ("webhook_deliveries", erase_delivery_bodies),
    ("webhook_events", erase_webhook_events),
    ("deauthorizations", erase_deauthorizations),
    ("fan_tokens", erase_fan_tokens),
    ("admins", erase_admin),
    ("contact_identities", erase_identities),
    ("contacts", erase_contacts),
];

/// Rewrites raw bodies that carry the subject's changes (before the events that
/// locate them are anonymised).
fn erase_delivery_bodies(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    let delivery_ids: Vec<i64> = webhook_events::table
        .filter(webhook_events::sender_id.eq_any(&s.platform_ids))
        .select(webhook_events::delivery_id)
        .distinct()
        .load(conn)?;
    let mut n = 0;
    for id in delivery_ids {
        let body: Vec<u8> = webhook_deliveries::table
            .find(id)
            .select(webhook_deliveries::body)
            .first(conn)?;
        let scrubbed =
            scrub_delivery_body(&body, &s.platform_ids).unwrap_or_else(|| b"\"[erased]\"".to_vec());
        n += diesel::update(webhook_deliveries::table.find(id))
            .set((
                webhook_deliveries::body.eq(scrubbed),
                webhook_deliveries::redacted_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
    }
    Ok(n)
}

fn erase_webhook_events(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE webhook_events SET sender_id = NULL, sender_name = NULL, message = NULL, \
         value = CASE WHEN jsonb_typeof(value) = 'object' THEN value - $2::text[] ELSE '\"[erased]\"'::jsonb END \
         WHERE sender_id = ANY($1)",
    )
    .bind::<Array<Text>, _>(&s.platform_ids)
    .bind::<Array<Text>, _>(
        crate::domain::privacy::PERSONAL_VALUE_KEYS
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>(),
    )
    .execute(conn)
}

fn erase_deauthorizations(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::delete(
        deauthorizations::table
            .filter(deauthorizations::app_scoped_user_id.eq_any(&s.platform_ids)),
    )
    .execute(conn)
}

fn erase_fan_tokens(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::delete(fan_tokens::table.filter(fan_tokens::fb_user_id.eq_any(&s.platform_ids)))
        .execute(conn)
}

/// An admin who asks for deletion loses their account (sessions and page links
/// cascade); the pages, which belong to the brand, stay.
fn erase_admin(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::delete(admins::table.filter(admins::fb_user_id.eq_any(&s.platform_ids))).execute(conn)
}

fn erase_identities(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::delete(
        contact_identities::table.filter(contact_identities::contact_id.eq_any(&s.contact_ids)),
    )
    .execute(conn)
}

/// Contacts are blanked, not deleted, so anonymous counts keep adding up.
fn erase_contacts(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE contacts SET display_name = NULL, email = NULL, postal_code = NULL, country = NULL, \
         locale = NULL, age_min = NULL, age_max = NULL, erased_at = now(), updated_at = now() \
         WHERE id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(&s.contact_ids)
    .execute(conn)
}
