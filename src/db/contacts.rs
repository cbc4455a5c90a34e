//! Contacts and identity resolution.
//!
//! A contact belongs to one page (each page is a tenant) and is recognised by its
//! identities: the app-scoped Facebook id (`asid`, from logins and signed_request),
//! page-scoped ids (`psid`, with the name seen in webhooks) and a normalised email.
//!
//! Merge rules, applied by [`resolve`] (deterministic, documented here):
//! 1. Everything observed together (e.g. a login's asid and email) belongs to one
//!    person.
//! 2. An `asid` and a `psid` with the same value are the same person: Facebook
//!    never reuses a value across scopes, and the sandbox uses one id for both.
//! 3. When an observation matches several contacts they are merged into the
//!    oldest one (lowest id). Its own field values win; empty fields are filled
//!    from the merged contacts; `first_seen_at` is the earliest and `first_source`
//!    the oldest contact's. Identities and every dependent row move to the
//!    survivor (see [`MERGERS`]); the others are deleted.
//! 4. Demographic fields are only ever set from what the fan gave; a missing value
//!    never erases a known one.
//!
//! Concurrency: identities are unique per page (a constraint), resolution takes
//! transaction-scoped advisory locks on every identity it looks at (in a fixed
//! order, so it cannot deadlock), and locks the matched contact rows, restarting if
//! one was merged away meanwhile. Concurrent requests for one person therefore end
//! with one contact.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use serde::Serialize;

use super::prepared::prepared;
use super::schema::{contact_identities, contacts};

#[derive(Queryable, Selectable, Debug, Clone, Serialize, PartialEq)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub id: i64,
    pub page_id: i64,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub locale: Option<String>,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    pub first_source: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[diesel(table_name = contact_identities)]
pub struct Identity {
    pub kind: String,
    pub value: String,
    pub name: Option<String>,
}

/// What a request or event tells us about a person.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    pub page_id: i64,
    pub asid: Option<String>,
    pub psid: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub source: &'static str,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub locale: Option<String>,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
}

/// Lowercased and trimmed; Fanfare does not guess at provider-specific aliases.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub contact_id: i64,
    pub created: bool,
    /// Contacts merged into this one by this resolution.
    pub merged: Vec<i64>,
}

/// Moves a dependent table's rows from merged contacts to the survivor. Tables
/// with one-per-contact rules resolve conflicts themselves (documented per table).
pub type Merger = fn(&mut PgConnection, i64, &[i64]) -> QueryResult<usize>;

/// Every table that references contacts, re-pointed on merge. Features add theirs.
pub const MERGERS: &[(&str, Merger)] = &[
    ("entries", super::entries::merge_contacts),
    ("votes", super::votes::merge_contacts),
    ("consents", merge_simple::<0>),
    ("activities", merge_simple::<1>),
    ("visitors", merge_simple::<2>),
    ("referral_codes", super::referrals::merge_codes),
    ("referrals", super::referrals::merge_conversions),
    // Awards before balances: moving the awards empties the merged balances.
    ("point_awards", super::points::merge_awards),
    ("point_balances", super::points::merge_balances),
    // After the awards moved: entries disqualified as duplicates give back their points.
    ("entry_points", super::points::settle_merged_entries),
    ("draw_picks", merge_simple::<3>),
    ("poll_suggestions", super::polls::merge_suggestions),
    ("poll_votes", super::polls::merge_votes),
];

/// Tables with a plain `contact_id` column and no per-contact uniqueness.
fn merge_simple<const T: usize>(
    conn: &mut PgConnection,
    survivor: i64,
    others: &[i64],
) -> QueryResult<usize> {
    let table = ["consents", "activities", "visitors", "draw_picks"][T];
    diesel::sql_query(format!(
        "UPDATE {table} SET contact_id = $1 WHERE contact_id = ANY($2)"
    ))
    .bind::<BigInt, _>(survivor)
    .bind::<Array<BigInt>, _>(others)
    .execute(conn)
}

fn keys(o: &Observation) -> Vec<(&'static str, String)> {
    let mut k = Vec::new();
    if let Some(a) = o.asid.as_deref().filter(|s| !s.is_empty()) {
        k.push(("asid", a.to_string()));
        k.push(("psid", a.to_string()));
    }
    if let Some(p) = o.psid.as_deref().filter(|s| !s.is_empty()) {
        k.push(("psid", p.to_string()));
        k.push(("asid", p.to_string()));
    }
    if let Some(e) = o
        .email
        .as_deref()
        .map(normalize_email)
        .filter(|s| !s.is_empty())
    {
        k.push(("email", e));
    }
    k.sort();
    k.dedup();
    k
}

/// Finds, creates or merges the contact for an observation. Runs in its own
/// transaction (a savepoint when the caller already has one).
pub fn resolve(conn: &mut PgConnection, o: &Observation) -> QueryResult<Resolved> {
    let keys = keys(o);
    for _attempt in 0..5 {
        let outcome = conn.transaction(|c| resolve_once(c, o, &keys))?;
        if let Some(r) = outcome {
            return Ok(r);
        }
    }
    Err(diesel::result::Error::RollbackTransaction)
}

fn resolve_once(
    conn: &mut PgConnection,
    o: &Observation,
    keys: &[(&'static str, String)],
) -> QueryResult<Option<Resolved>> {
    for (kind, value) in keys {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))")
            .bind::<Text, _>(format!("{}|{kind}|{value}", o.page_id))
            .bind::<BigInt, _>(7242004i64)
            .execute(conn)?;
    }
    let mut ids: Vec<i64> = if keys.is_empty() {
        Vec::new()
    } else {
        let kinds: Vec<String> = keys.iter().map(|(k, _)| k.to_string()).collect();
        let values: Vec<String> = keys.iter().map(|(_, v)| v.clone()).collect();
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            contact_id: i64,
        }
        diesel::sql_query(
            "SELECT DISTINCT i.contact_id FROM contact_identities i \
             JOIN unnest($2::text[], $3::text[]) AS k(kind, value) ON i.kind = k.kind AND i.value = k.value \
             WHERE i.page_id = $1 ORDER BY i.contact_id",
        )
        .bind::<BigInt, _>(o.page_id)
        .bind::<Array<Text>, _>(kinds)
        .bind::<Array<Text>, _>(values)
        .load::<Row>(conn)?
        .into_iter()
        .map(|r| r.contact_id)
        .collect()
    };
    ids.sort_unstable();
    if !ids.is_empty() {
        // Lock the matched contacts; one merged away meanwhile means start over.
        // NO KEY UPDATE, not UPDATE: foreign-key checks of other writers (a
        // segment refresh adding memberships) take KEY SHARE, which this must
        // not block, or the two deadlock over contact_metrics.
        let locked: Vec<i64> = contacts::table
            .filter(contacts::id.eq_any(&ids))
            .order(contacts::id)
            .for_no_key_update()
            .select(contacts::id)
            .load(conn)?;
        if locked.len() != ids.len() {
            return Ok(None);
        }
    }
    let (contact_id, created, merged) = match ids.split_first() {
        None => (create(conn, o)?, true, Vec::new()),
        Some((&survivor, others)) => {
            if !others.is_empty() {
                merge(conn, survivor, others)?;
            }
            (survivor, false, others.to_vec())
        }
    };
    attach_identities(conn, o, contact_id)?;
    if !created {
        update_fields(conn, contact_id, o)?;
    }
    Ok(Some(Resolved {
        contact_id,
        created,
        merged,
    }))
}

fn create(conn: &mut PgConnection, o: &Observation) -> QueryResult<i64> {
    diesel::insert_into(contacts::table)
        .values((
            contacts::page_id.eq(o.page_id),
            contacts::display_name.eq(&o.display_name),
            contacts::email.eq(o.email.as_deref().map(normalize_email)),
            contacts::postal_code.eq(&o.postal_code),
            contacts::country.eq(&o.country),
            contacts::locale.eq(&o.locale),
            contacts::age_min.eq(o.age_min),
            contacts::age_max.eq(o.age_max),
            contacts::first_source.eq(o.source),
        ))
        .returning(contacts::id)
        .get_result(conn)
}

fn attach_identities(conn: &mut PgConnection, o: &Observation, contact_id: i64) -> QueryResult<()> {
    let mut rows = Vec::new();
    if let Some(a) = o.asid.as_deref().filter(|s| !s.is_empty()) {
        rows.push(("asid", a.to_string(), None));
    }
    if let Some(p) = o.psid.as_deref().filter(|s| !s.is_empty()) {
        rows.push(("psid", p.to_string(), o.display_name.clone()));
    }
    if let Some(e) = o
        .email
        .as_deref()
        .map(normalize_email)
        .filter(|s| !s.is_empty())
    {
        rows.push(("email", e, None));
    }
    for (kind, value, name) in rows {
        diesel::insert_into(contact_identities::table)
            .values((
                contact_identities::page_id.eq(o.page_id),
                contact_identities::contact_id.eq(contact_id),
                contact_identities::kind.eq(kind),
                contact_identities::value.eq(&value),
                contact_identities::name.eq(&name),
            ))
            .on_conflict((
                contact_identities::page_id,
                contact_identities::kind,
                contact_identities::value,
            ))
            .do_update()
            .set(contact_identities::name.eq(
                diesel::dsl::sql::<diesel::sql_types::Nullable<Text>>(
                    "COALESCE(excluded.name, contact_identities.name)",
                ),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Fills in what the fan gave this time; never blanks a known value.
fn update_fields(conn: &mut PgConnection, id: i64, o: &Observation) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE contacts SET \
           display_name = COALESCE($2, display_name), \
           email = COALESCE($3, email), \
           postal_code = COALESCE($4, postal_code), \
           country = COALESCE($5, country), \
           locale = COALESCE($6, locale), \
           age_min = COALESCE($7, age_min), \
           age_max = COALESCE($8, age_max), \
           last_seen_at = now(), updated_at = now() \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<diesel::sql_types::Nullable<Text>, _>(&o.display_name)
    .bind::<diesel::sql_types::Nullable<Text>, _>(o.email.as_deref().map(normalize_email))
    .bind::<diesel::sql_types::Nullable<Text>, _>(&o.postal_code)
    .bind::<diesel::sql_types::Nullable<Text>, _>(&o.country)
    .bind::<diesel::sql_types::Nullable<Text>, _>(&o.locale)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Integer>, _>(o.age_min)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Integer>, _>(o.age_max)
    .execute(conn)
    .map(|_| ())
}

/// Merges `others` into `survivor` (rule 3 above).
fn merge(conn: &mut PgConnection, survivor: i64, others: &[i64]) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE contacts s SET \
           display_name = COALESCE(s.display_name, o.display_name), \
           email = COALESCE(s.email, o.email), \
           postal_code = COALESCE(s.postal_code, o.postal_code), \
           country = COALESCE(s.country, o.country), \
           locale = COALESCE(s.locale, o.locale), \
           age_min = COALESCE(s.age_min, o.age_min), \
           age_max = COALESCE(s.age_max, o.age_max), \
           first_seen_at = LEAST(s.first_seen_at, o.first_seen_at), \
           last_seen_at = GREATEST(s.last_seen_at, o.last_seen_at), \
           updated_at = now() \
         FROM (SELECT max(display_name) AS display_name, max(email) AS email, \
                      max(postal_code) AS postal_code, max(country) AS country, max(locale) AS locale, \
                      max(age_min) AS age_min, max(age_max) AS age_max, \
                      min(first_seen_at) AS first_seen_at, max(last_seen_at) AS last_seen_at \
               FROM contacts WHERE id = ANY($2)) o \
         WHERE s.id = $1",
    )
    .bind::<BigInt, _>(survivor)
    .bind::<Array<BigInt>, _>(others)
    .execute(conn)?;
    diesel::update(contact_identities::table.filter(contact_identities::contact_id.eq_any(others)))
        .set(contact_identities::contact_id.eq(survivor))
        .execute(conn)?;
    for (_, merger) in MERGERS {
        merger(conn, survivor, others)?;
    }
    diesel::delete(contacts::table.filter(contacts::id.eq_any(others))).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Contact> {
    contacts::table
        .find(id)
        .select(Contact::as_select())
        .first(conn)
}

pub fn identities(conn: &mut PgConnection, contact_id: i64) -> QueryResult<Vec<Identity>> {
    contact_identities::table
        .filter(contact_identities::contact_id.eq(contact_id))
        .order((contact_identities::kind, contact_identities::value))
        .select(Identity::as_select())
        .load(conn)
}

/// The contact on a page that holds an identity, if any.
pub fn by_identity(
    conn: &mut PgConnection,
    page_id: i64,
    kind: &str,
    value: &str,
) -> QueryResult<Option<i64>> {
    contact_identities::table
        .filter(contact_identities::page_id.eq(page_id))
        .filter(contact_identities::kind.eq(kind))
        .filter(contact_identities::value.eq(value))
        .select(contact_identities::contact_id)
        .first(conn)
        .optional()
}

pub fn set_friends_count(conn: &mut PgConnection, contact_id: i64, n: i32) -> QueryResult<()> {
    diesel::update(contacts::table.find(contact_id))
        .set(contacts::friends_count.eq(n))
        .execute(conn)
        .map(|_| ())
}

/// A stored asid or psid identity (`psid_or_asid_identities`).
#[derive(QueryableByName, Debug)]
pub struct IdentityMatch {
    #[diesel(sql_type = BigInt)]
    pub page_id: i64,
    #[diesel(sql_type = Text)]
    pub value: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub contact_id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub name: Option<String>,
}

/// The asid and psid identities stored for each `(page_id, value)`: `resolve`
/// looks an id up as both (the same value is the same person).
///
/// Every `(page, kind, value)` is sent as its own key, so each is one lookup of
/// the unique index on `(page_id, kind, value)`. Joining on `(page_id, value)`
/// with `kind IN (...)` left `kind` out of the index condition, and each key
/// walked all of its page's identities: 0.9 ms a key at 20,000 contacts, growing
/// with the page (issue 10 P3).
pub fn psid_or_asid_identities(
    conn: &mut PgConnection,
    keys: &[(i64, String)],
) -> QueryResult<Vec<IdentityMatch>> {
    let mut pages = Vec::with_capacity(keys.len() * 2);
    let mut kinds = Vec::with_capacity(keys.len() * 2);
    let mut values = Vec::with_capacity(keys.len() * 2);
    for (page, value) in keys {
        for kind in ["asid", "psid"] {
            pages.push(*page);
            kinds.push(kind);
            values.push(value.as_str());
        }
    }
    // One probe of the unique index per key, whatever the planner thinks of the
    // table: as a plain join, on a table filled faster than autovacuum analysed
    // it, the planner hashed the keys and read every identity of every page for
    // each batch (9.9 ms a batch of 90 keys at 25,000 identities, growing with
    // the table; 1.5 ms this way: issue 10, P1's backlog). `LIMIT 1` (the key is
    // unique) keeps the planner from flattening the LATERAL back into a join.
    prepared(
        diesel::sql_query(
            "SELECT i.page_id, i.value, i.kind, i.contact_id, i.name \
         FROM unnest($1::bigint[], $2::text[], $3::text[]) AS k(page_id, kind, value) \
         CROSS JOIN LATERAL ( \
           SELECT i.page_id, i.value, i.kind, i.contact_id, i.name FROM contact_identities i \
           WHERE i.page_id = k.page_id AND i.kind = k.kind AND i.value = k.value LIMIT 1) i",
        )
        .bind::<Array<BigInt>, _>(pages)
        .bind::<Array<Text>, _>(kinds)
        .bind::<Array<Text>, _>(values),
    )
    .load(conn)
}

/// A webhook sender: a page-scoped id, maybe with a name.
#[derive(Debug, Clone)]
pub struct PsidSeen {
    pub page_id: i64,
    pub psid: String,
    pub display_name: Option<String>,
    pub source: &'static str,
}

/// Resolves many webhook senders at once, with the effects of calling [`resolve`]
/// for each of them in order (an `Observation` with `psid` and `display_name`):
/// the same advisory locks (all of them, in the one global order that single
/// resolutions also follow), the same contacts found or created (created in order
/// of first appearance, `first_source` from the first sighting), the same
/// identities attached and the same fields updated (the last name seen wins, as
/// with successive `COALESCE` updates). A sender whose ids match two contacts
/// needs a merge; it goes through [`resolve`] itself. Returns
/// `(page_id, psid) -> contact_id`.
pub fn resolve_psids(
    conn: &mut PgConnection,
    seen: &[PsidSeen],
) -> QueryResult<std::collections::HashMap<(i64, String), i64>> {
    use std::collections::{BTreeMap, HashMap};
    let mut out: HashMap<(i64, String), i64> = HashMap::new();
    // First appearance order, first source, last name seen.
    let mut order: Vec<(i64, String)> = Vec::new();
    let mut info: HashMap<(i64, String), (Option<String>, &'static str)> = HashMap::new();
    for s in seen.iter().filter(|s| !s.psid.is_empty()) {
        let key = (s.page_id, s.psid.clone());
        match info.get_mut(&key) {
            Some(entry) => {
                if s.display_name.is_some() {
                    entry.0 = s.display_name.clone();
                }
            }
            None => {
                order.push(key.clone());
                info.insert(key, (s.display_name.clone(), s.source));
            }
        }
    }
    if order.is_empty() {
        return Ok(out);
    }
    // The locks `resolve` takes for a psid observation: (asid, v) and (psid, v),
    // here sorted by (page, kind, value) across the whole batch.
    let mut lock_keys: Vec<(i64, &'static str, &str)> = order
        .iter()
        .flat_map(|(p, v)| [(*p, "asid", v.as_str()), (*p, "psid", v.as_str())])
        .collect();
    lock_keys.sort();
    let texts: Vec<String> = lock_keys
        .iter()
        .map(|(p, k, v)| format!("{p}|{k}|{v}"))
        .collect();
    prepared(
        diesel::sql_query(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, $2)) FROM unnest($1::text[]) AS t(k)",
        )
        .bind::<Array<Text>, _>(texts)
        .bind::<BigInt, _>(7242004i64),
    )
    .execute(conn)?;

    let matches = psid_or_asid_identities(conn, &order)?;
    let mut found: HashMap<(i64, String), Vec<i64>> = HashMap::new();
    // The stored psid identity of each key (its contact and name), to leave it
    // alone when nothing about it changes.
    let mut psid_known: HashMap<(i64, String), (i64, Option<String>)> = HashMap::new();
    for m in matches {
        let key = (m.page_id, m.value);
        if m.kind == "psid" {
            psid_known.insert(key.clone(), (m.contact_id, m.name));
        }
        let ids = found.entry(key).or_default();
        if !ids.contains(&m.contact_id) {
            ids.push(m.contact_id);
        }
    }
    let single = |conn: &mut PgConnection, key: &(i64, String)| -> QueryResult<i64> {
        let (name, source) = info[key].clone();
        resolve(
            conn,
            &Observation {
                page_id: key.0,
                psid: Some(key.1.clone()),
                display_name: name,
                source,
                ..Default::default()
            },
        )
        .map(|r| r.contact_id)
    };
    // Lock the matched contacts (NO KEY UPDATE, as `resolve` does).
    let mut existing: Vec<i64> = found
        .values()
        .filter(|ids| ids.len() == 1)
        .map(|ids| ids[0])
        .collect();
    existing.sort_unstable();
    existing.dedup();
    // What each locked contact holds now, so that only the ones with something
    // to change are sent to the UPDATE below.
    let mut current: HashMap<i64, (Option<String>, chrono::DateTime<chrono::Utc>)> = HashMap::new();
    if !existing.is_empty() {
        let locked: Vec<(i64, Option<String>, chrono::DateTime<chrono::Utc>)> = contacts::table
            .filter(contacts::id.eq_any(&existing))
            .order(contacts::id)
            .for_no_key_update()
            .select((contacts::id, contacts::display_name, contacts::last_seen_at))
            .load(conn)?;
        let n = locked.len();
        current.extend(
            locked
                .into_iter()
                .map(|(id, name, seen)| (id, (name, seen))),
        );
        if n != existing.len() {
            // One was merged away meanwhile: let `resolve` sort each one out.
            for key in &order {
                let id = single(conn, key)?;
                out.insert(key.clone(), id);
            }
            return Ok(out);
        }
    }
    let mut to_create: Vec<&(i64, String)> = Vec::new();
    let mut merges: Vec<&(i64, String)> = Vec::new();
    let mut updates: BTreeMap<i64, Option<String>> = BTreeMap::new();
    for key in &order {
        match found.get(key).map(Vec::as_slice) {
            None | Some([]) => to_create.push(key),
            Some([one]) => {
                out.insert(key.clone(), *one);
                let name = &info[key].0;
                let slot = updates.entry(*one).or_default();
                if name.is_some() {
                    *slot = name.clone();
                }
            }
            Some(_) => merges.push(key),
        }
    }
    if !to_create.is_empty() {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let ids: Vec<Id> = diesel::sql_query(
            "SELECT nextval(pg_get_serial_sequence('contacts', 'id')) AS id \
             FROM generate_series(1, $1)",
        )
        .bind::<diesel::sql_types::Integer, _>(to_create.len() as i32)
        .load(conn)?;
        let mut ids: Vec<i64> = ids.into_iter().map(|i| i.id).collect();
        ids.sort_unstable();
        let pages: Vec<i64> = to_create.iter().map(|k| k.0).collect();
        let names: Vec<Option<String>> = to_create.iter().map(|k| info[*k].0.clone()).collect();
        let sources: Vec<String> = to_create.iter().map(|k| info[*k].1.to_string()).collect();
        diesel::sql_query(
            "INSERT INTO contacts (id, page_id, display_name, first_source) \
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])",
        )
        .bind::<Array<BigInt>, _>(&ids)
        .bind::<Array<BigInt>, _>(&pages)
        .bind::<Array<diesel::sql_types::Nullable<Text>>, _>(&names)
        .bind::<Array<Text>, _>(&sources)
        .execute(conn)?;
        for (key, id) in to_create.iter().zip(&ids) {
            out.insert((*key).clone(), *id);
        }
    }
    // Identities for everyone resolved here, in one statement (keys are unique).
    // A known psid identity of the same contact whose name did not change is
    // not sent at all: rewriting it made a new row version and index entries for
    // every repeat sender (13% of event processing's database time, issue 10 P3),
    // and even a no-op ON CONFLICT locks the row, one WAL record each. The
    // contact itself is locked above, which is what keeps a merge out.
    let resolved: Vec<&(i64, String)> = order
        .iter()
        .filter(|k| match (out.get(*k), psid_known.get(*k)) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(id), Some((known_id, known_name))) => {
                let name = &info[*k].0;
                id != known_id || (name.is_some() && name != known_name)
            }
        })
        .collect();
    if !resolved.is_empty() {
        let pages: Vec<i64> = resolved.iter().map(|k| k.0).collect();
        let contacts_of: Vec<i64> = resolved.iter().map(|k| out[*k]).collect();
        let values: Vec<String> = resolved.iter().map(|k| k.1.clone()).collect();
        let names: Vec<Option<String>> = resolved.iter().map(|k| info[*k].0.clone()).collect();
        diesel::sql_query(
            "INSERT INTO contact_identities (page_id, contact_id, kind, value, name) \
             SELECT p, c, 'psid', v, n FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS t(p, c, v, n) \
             ON CONFLICT (page_id, kind, value) DO UPDATE SET name = excluded.name \
             WHERE excluded.name IS NOT NULL AND excluded.name IS DISTINCT FROM contact_identities.name",
        )
        .bind::<Array<BigInt>, _>(&pages)
        .bind::<Array<BigInt>, _>(&contacts_of)
        .bind::<Array<Text>, _>(&values)
        .bind::<Array<diesel::sql_types::Nullable<Text>>, _>(&names)
        .execute(conn)?;
    }
    // A contact seen again within a minute, under the same name, is left alone:
    // `last_seen_at` is kept to the minute (the dashboard shows minutes).
    // Rewriting it for every event of a busy fan made a new row version with
    // new entries in all of the contact's indexes (the `last_seen_at` index
    // rules out HOT updates), 15% of event processing's database time (issue 10
    // P3). Decided on the rows locked above, so nothing changes them meanwhile.
    let stale = chrono::Utc::now() - chrono::Duration::minutes(1);
    updates.retain(|id, name| match current.get(id) {
        Some((known, seen)) => *seen < stale || (name.is_some() && name != known),
        None => true,
    });
    if !updates.is_empty() {
        let ids: Vec<i64> = updates.keys().copied().collect();
        let names: Vec<Option<String>> = updates.into_values().collect();
        diesel::sql_query(
            "UPDATE contacts c SET display_name = COALESCE(t.n, c.display_name), \
               last_seen_at = now(), updated_at = now() \
             FROM unnest($1::bigint[], $2::text[]) AS t(id, n) WHERE c.id = t.id",
        )
        .bind::<Array<BigInt>, _>(&ids)
        .bind::<Array<diesel::sql_types::Nullable<Text>>, _>(&names)
        .execute(conn)?;
    }
    for key in merges {
        let id = single(conn, key)?;
        out.insert(key.clone(), id);
    }
    Ok(out)
}
