//! Email confirmations and the outbox.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{email_confirmations, email_outbox};

pub fn create_confirmation(
    conn: &mut PgConnection,
    token_hash: &str,
    page_id: i64,
    email: &str,
    return_to: &str,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(email_confirmations::table)
        .values((
            email_confirmations::token_hash.eq(token_hash),
            email_confirmations::page_id.eq(page_id),
            email_confirmations::email.eq(email),
            email_confirmations::return_to.eq(return_to),
            email_confirmations::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Queryable, Debug)]
pub struct Confirmed {
    pub page_id: i64,
    pub email: String,
    pub return_to: String,
    pub expires_at: DateTime<Utc>,
}

/// Uses a confirmation once; a second use finds nothing.
pub fn consume(conn: &mut PgConnection, token_hash: &str) -> QueryResult<Option<Confirmed>> {
    diesel::update(
        email_confirmations::table
            .filter(email_confirmations::token_hash.eq(token_hash))
            .filter(email_confirmations::used_at.is_null()),
    )
    .set(email_confirmations::used_at.eq(diesel::dsl::now))
    .returning((
        email_confirmations::page_id,
        email_confirmations::email,
        email_confirmations::return_to,
        email_confirmations::expires_at,
    ))
    .get_result(conn)
    .optional()
}

pub fn queue(
    conn: &mut PgConnection,
    page_id: Option<i64>,
    to: &str,
    subject: &str,
    body: &str,
) -> QueryResult<i64> {
    diesel::insert_into(email_outbox::table)
        .values((
            email_outbox::page_id.eq(page_id),
            email_outbox::to_address.eq(to),
            email_outbox::subject.eq(subject),
            email_outbox::body.eq(body),
        ))
        .returning(email_outbox::id)
        .get_result(conn)
}

#[derive(Queryable, Selectable, Debug, Clone, Serialize)]
#[diesel(table_name = email_outbox)]
pub struct Email {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_via: Option<String>,
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Email> {
    email_outbox::table
        .find(id)
        .select(Email::as_select())
        .first(conn)
}

pub fn mark_sent(conn: &mut PgConnection, id: i64, via: &str) -> QueryResult<()> {
    diesel::update(email_outbox::table.find(id))
        .set((
            email_outbox::sent_at.eq(diesel::dsl::now),
            email_outbox::delivered_via.eq(via),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The sandbox mailbox: what was "delivered" there, newest first.
pub fn sandbox_mailbox(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Email>> {
    email_outbox::table
        .filter(email_outbox::delivered_via.eq("sandbox"))
        .order(email_outbox::id.desc())
        .limit(limit)
        .select(Email::as_select())
        .load(conn)
}
