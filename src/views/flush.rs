//! Stores a batch of page views in one transaction, set-based: one query finds
//! the contacts of every known person in the batch, one upsert links or touches
//! every visitor, one multi-row insert adds the activities. Only persons seen for
//! the first time go through the per-fan [`contacts::resolve`] (it creates them).

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text};

use super::View;
use crate::db::activities::{self, NewActivity};
use crate::db::contacts::{self, Observation};
use crate::error::AppError;

/// Returns the dedupe keys of the views stored on a contact (those earned the
/// daily visit, so the leaderboard of the fan page may have moved).
pub fn store(conn: &mut PgConnection, views: &[View]) -> Result<Vec<String>, AppError> {
    conn.transaction(|c| {
        let persons = person_contacts(c, views)?;
        let visitors = link_visitors(c, views, &persons)?;
        let rows: Vec<NewActivity<'_>> = views
            .iter()
            .map(|v| {
                let page_id = v.contest.page_id;
                let contact = match &v.person {
                    Some(asid) => persons.get(&(page_id, asid.clone())).copied(),
                    None => visitors.get(&v.visitor_id).and_then(|l| l.contact),
                };
                NewActivity {
                    page_id,
                    contact_id: contact,
                    visitor_id: Some(&v.visitor_id),
                    contest_id: Some(v.contest.id),
                    kind: "page_view",
                    occurred_at: v.at,
                    details: v.details.clone(),
                    dedupe_key: Some(v.dedupe_key()),
                }
            })
            .collect();
        activities::record_many(c, &rows)?;
        let mut settled = Vec::new();
        let now = Utc::now();
        for (v, row) in views.iter().zip(&rows) {
            let Some(k) = row.contact_id else {
                continue;
            };
            // A known person's view: signed in, or from a browser linked before
            // the view. A browser that entered after viewing had its view
            // attributed above but earns nothing for it, however late this
            // writer ran (migration 2026-12-05-000302).
            let known_then = v.person.is_some()
                || visitors
                    .get(&v.visitor_id)
                    .and_then(|l| l.linked_at)
                    .is_some_and(|at| at <= v.at);
            if known_then {
                // Deduped per contact and day by the ledger itself.
                crate::domain::hooks::after_view(c, &v.contest, k, now)?;
            }
            settled.extend(row.dedupe_key.clone());
        }
        Ok(settled)
    })
}

/// `(page_id, asid) -> contact_id` for every person in the batch.
fn person_contacts(
    conn: &mut PgConnection,
    views: &[View],
) -> Result<HashMap<(i64, String), i64>, AppError> {
    let mut wanted: Vec<(i64, String)> = views
        .iter()
        .filter_map(|v| v.person.clone().map(|a| (v.contest.page_id, a)))
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let matches = contacts::psid_or_asid_identities(conn, &wanted)?;
    let mut found: HashMap<(i64, String), (Vec<i64>, bool)> = HashMap::new();
    for m in matches {
        let e = found.entry((m.page_id, m.value)).or_default();
        e.0.push(m.contact_id);
        e.1 |= m.kind == "asid";
    }
    for key in wanted {
        match found.get(&key) {
            // Known by this asid and by nothing conflicting: what `resolve`
            // would return, without its locks and writes.
            Some((ids, true)) if ids.iter().all(|&i| i == ids[0]) => {
                out.insert(key, ids[0]);
            }
            // New, known only by psid, or two contacts to merge: the full path.
            _ => {
                let r = contacts::resolve(
                    conn,
                    &Observation {
                        page_id: key.0,
                        asid: Some(key.1.clone()),
                        source: "fan_page",
                        ..Default::default()
                    },
                )?;
                out.insert(key, r.contact_id);
            }
        }
    }
    Ok(out)
}

/// A visitor's contact (if linked, now or before) and when it was first linked.
struct Link {
    contact: Option<i64>,
    linked_at: Option<chrono::DateTime<Utc>>,
}

/// Creates every visitor of the batch, links those whose person is known, and
/// returns each visitor's link.
fn link_visitors(
    conn: &mut PgConnection,
    views: &[View],
    persons: &HashMap<(i64, String), i64>,
) -> Result<HashMap<String, Link>, AppError> {
    // One row per visitor (an upsert may not touch a row twice); a person's
    // view wins over an anonymous one of the same browser.
    let mut rows: HashMap<&str, (i64, Option<i64>)> = HashMap::new();
    for v in views {
        let page_id = v.contest.page_id;
        let contact = v
            .person
            .as_ref()
            .and_then(|a| persons.get(&(page_id, a.clone())).copied());
        let e = rows.entry(&v.visitor_id).or_insert((page_id, None));
        if contact.is_some() {
            *e = (page_id, contact);
        }
    }
    // In a fixed order, so that concurrent writers (other processes) lock the
    // rows in the same order and cannot deadlock.
    let mut rows: Vec<_> = rows.into_iter().collect();
    rows.sort_unstable_by_key(|(id, _)| *id);
    let mut ids = Vec::with_capacity(rows.len());
    let mut pages = Vec::with_capacity(rows.len());
    let mut contacts = Vec::with_capacity(rows.len());
    for (id, (page, contact)) in rows {
        ids.push(id.to_string());
        pages.push(page);
        contacts.push(contact);
    }
    #[derive(QueryableByName)]
    struct Linked {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = Nullable<BigInt>)]
        contact_id: Option<i64>,
        #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
        linked_at: Option<chrono::DateTime<Utc>>,
    }
    // `visitors::touch` for everyone, `visitors::link` for known persons.
    let linked: Vec<Linked> = diesel::sql_query(
        "INSERT INTO visitors (id, page_id, contact_id, linked_at) \
         SELECT id, p, c, CASE WHEN c IS NOT NULL THEN now() END \
         FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(id, p, c) \
         ON CONFLICT (id) DO UPDATE SET contact_id = COALESCE(EXCLUDED.contact_id, visitors.contact_id), \
           linked_at = COALESCE(visitors.linked_at, EXCLUDED.linked_at) \
         RETURNING id, contact_id, linked_at",
    )
    .bind::<Array<Text>, _>(ids)
    .bind::<Array<BigInt>, _>(pages)
    .bind::<Array<Nullable<BigInt>>, _>(contacts)
    .load(conn)?;
    Ok(linked
        .into_iter()
        .map(|l| {
            let link = Link {
                contact: l.contact_id,
                linked_at: l.linked_at,
            };
            (l.id, link)
        })
        .collect())
}
