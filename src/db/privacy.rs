//! Erasers: one per table that holds personal data. Registered in [`ERASERS`] and
//! run, in order, by [`crate::domain::privacy::erase_subject`].

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::schema::{admins, contact_identities, deauthorizations, fan_tokens, webhook_deliveries};
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
    /// Where entry images live, so their files go too.
    pub uploads_dir: Option<std::path::PathBuf>,
}

/// Collects every id Fanfare links to the app-scoped user, through the contacts
/// that carry it (see `db::contacts` for how identities are linked).
pub fn resolve_subject(
    conn: &mut PgConnection,
    asid: &str,
    uploads_dir: Option<std::path::PathBuf>,
) -> QueryResult<Subject> {
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
        uploads_dir,
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
    ("entries", erase_entries),
    ("votes", erase_vote_signals),
    // Before `activities`: mention posts are found through their activities too.
    ("reach_snapshots", erase_reach_objects),
    ("activities", erase_activity_details),
    // Reads `visitors`, so it runs before the visitors eraser.
    ("referral_clicks", erase_referral_clicks),
    ("referral_codes", erase_referral_codes),
    ("point_awards", erase_point_notes),
    ("poll_suggestions", erase_poll_suggestions),
    ("poll_votes", erase_poll_vote_signals),
    ("visitors", erase_visitors),
    ("email_confirmations", erase_email_confirmations),
    ("email_outbox", erase_email_outbox),
    ("contact_identities", erase_identities),
    ("contacts", erase_contacts),
];

/// Rewrites raw bodies that carry the subject's changes (before the events that
/// locate them are anonymised).
fn erase_delivery_bodies(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        delivery_id: i64,
    }
    let delivery_ids: Vec<i64> = diesel::sql_query(format!(
        "SELECT DISTINCT delivery_id FROM webhook_events WHERE {SUBJECT_EVENTS}"
    ))
    .bind::<Array<Text>, _>(&s.platform_ids)
    .load::<Id>(conn)?
    .into_iter()
    .map(|r| r.delivery_id)
    .collect();
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

/// The subject's events: those they sent, and posts of theirs that mention a page
/// (mention webhooks carry no sender; the post id starts with its author's id).
const SUBJECT_EVENTS: &str = "(sender_id = ANY($1) \
     OR (field = 'mention' AND split_part(post_id, '_', 1) = ANY($1)))";

fn erase_webhook_events(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "UPDATE webhook_events SET sender_id = NULL, sender_name = NULL, message = NULL, \
         post_id = CASE WHEN field = 'mention' THEN NULL ELSE post_id END, \
         value = CASE WHEN jsonb_typeof(value) = 'object' AND field = 'mention' THEN value - $2::text[] - 'post_id' \
                      WHEN jsonb_typeof(value) = 'object' THEN value - $2::text[] ELSE '\"[erased]\"'::jsonb END \
         WHERE {SUBJECT_EVENTS}"
    ))
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

/// Entries keep their place in the counts but lose every personal field; their
/// images are deleted from disk when no other entry uses the same file. The person
/// asked to leave, so their entries can no longer win.
fn erase_entries(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct Img {
        #[diesel(sql_type = Text)]
        image_name: String,
    }
    let images: Vec<Img> = diesel::sql_query(
        "SELECT DISTINCT image_name FROM entries WHERE contact_id = ANY($1) AND image_name IS NOT NULL",
    )
    .bind::<Array<BigInt>, _>(&s.contact_ids)
    .load(conn)?;
    let n = diesel::sql_query(
        "UPDATE entries SET text = NULL, image_name = NULL, answers = '[]', ip = NULL, user_agent_hash = NULL, \
         status = 'disqualified', status_reason = 'erased at the entrant''s request', updated_at = now() \
         WHERE contact_id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(&s.contact_ids)
    .execute(conn)?;
    if let Some(dir) = &s.uploads_dir {
        for img in images {
            let still_used: i64 = super::schema::entries::table
                .filter(super::schema::entries::image_name.eq(&img.image_name))
                .count()
                .get_result(conn)?;
            if still_used == 0
                && crate::domain::images::parse_stored_name(&img.image_name).is_some()
            {
                let _ = std::fs::remove_file(dir.join(&img.image_name));
            }
        }
    }
    Ok(n)
}

fn erase_vote_signals(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE votes SET ip = NULL, user_agent_hash = NULL WHERE voter_contact_id = ANY($1)",
    )
    .bind::<Array<BigInt>, _>(&s.contact_ids)
    .execute(conn)
}

/// The timeline keeps what happened and when (for totals), not the details. A
/// mention belongs to no contact; it is the subject's when their id starts the
/// post id.
fn erase_activity_details(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE activities SET details = '{}', visitor_id = NULL WHERE contact_id = ANY($1) \
         OR (kind = 'mention' AND split_part(details->>'post_id', '_', 1) = ANY($2))",
    )
    .bind::<Array<BigInt>, _>(&s.contact_ids)
    .bind::<Array<Text>, _>(&s.platform_ids)
    .execute(conn)
}

/// Reach snapshots of the subject's posts (posts they shared, posts of theirs that
/// mention a page) keep their counts, so the page's reach totals still add up,
/// but the post id, which names the post and its author, becomes a random token
/// (one per post, so each post's snapshots still group together).
fn erase_reach_objects(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE reach_snapshots r SET object_id = t.token FROM ( \
           SELECT object_id, 'erased:' || gen_random_uuid() AS token FROM reach_snapshots \
            WHERE contact_id = ANY($1) \
               OR (object_kind IN ('share_post', 'mention_post') AND split_part(object_id, '_', 1) = ANY($2)) \
            GROUP BY object_id) t \
         WHERE r.object_id = t.object_id",
    )
    .bind::<Array<BigInt>, _>(&s.contact_ids)
    .bind::<Array<Text>, _>(&s.platform_ids)
    .execute(conn)
}

fn erase_visitors(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM visitors WHERE contact_id = ANY($1)")
        .bind::<Array<BigInt>, _>(&s.contact_ids)
        .execute(conn)
}

fn erase_referral_clicks(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    super::referrals::erase_clicks(conn, &s.contact_ids)
}

fn erase_referral_codes(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    super::referrals::erase_codes(conn, &s.contact_ids)
}

fn erase_point_notes(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    super::points::erase_notes(conn, &s.contact_ids)
}

fn erase_poll_suggestions(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    super::polls::erase_suggestions(conn, &s.contact_ids)
}

fn erase_poll_vote_signals(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    super::polls::erase_vote_signals(conn, &s.contact_ids)
}

fn erase_email_confirmations(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM email_confirmations WHERE email = ANY($1)")
        .bind::<Array<Text>, _>(&s.emails)
        .execute(conn)
}

fn erase_email_outbox(conn: &mut PgConnection, s: &Subject) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM email_outbox WHERE to_address = ANY($1)")
        .bind::<Array<Text>, _>(&s.emails)
        .execute(conn)
}
