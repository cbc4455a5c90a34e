//! Re-sealing encrypted columns after a key rotation (`fanfare rotate-keys`).
//!
//! Rotation: set the new key as `security.secret_key`, list the old one in
//! `security.previous_secret_keys`, restart, run `fanfare rotate-keys`, then
//! remove the old key. Values already sealed with the current key are left alone;
//! a value no configured key opens is counted as unreadable and left as it is.

use diesel::prelude::*;
use diesel::sql_types::{Bytea, Text};

use crate::crypto::tokens::TokenCipher;

#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    aad: String,
    #[diesel(sql_type = Bytea)]
    blob: Vec<u8>,
}

/// (table, key column as text, sealed column, SQL for the associated data)
const SEALED: &[(&str, &str, &str, &str)] = &[
    (
        "admins",
        "id::text",
        "user_token_enc",
        "'admin:' || fb_user_id",
    ),
    (
        "pages",
        "id::text",
        "page_token_enc",
        "'page:' || fb_page_id",
    ),
    (
        "fan_tokens",
        "fb_user_id",
        "token_enc",
        "'fan:' || fb_user_id",
    ),
    (
        "draw_seeds",
        "contest_id::text",
        "seed_enc",
        "'draw-seed:' || contest_id",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resealed {
    pub column: String,
    pub resealed: usize,
    pub unreadable: usize,
}

pub fn reseal_all(conn: &mut PgConnection, cipher: &TokenCipher) -> QueryResult<Vec<Resealed>> {
    let mut report = Vec::new();
    for (table, key, col, aad) in SEALED {
        let rows: Vec<Sealed> = diesel::sql_query(format!(
            "SELECT {key} AS key, {aad} AS aad, {col} AS blob FROM {table} WHERE {col} IS NOT NULL FOR UPDATE"
        ))
        .load(conn)?;
        let (mut resealed, mut unreadable) = (0, 0);
        for r in rows.into_iter().filter(|r| cipher.needs_rotation(&r.blob)) {
            match cipher.decrypt(&r.blob, &r.aad) {
                Ok(plain) => {
                    resealed += diesel::sql_query(format!(
                        "UPDATE {table} SET {col} = $1 WHERE {key} = $2"
                    ))
                    .bind::<Bytea, _>(cipher.encrypt(&plain, &r.aad))
                    .bind::<Text, _>(r.key)
                    .execute(conn)?;
                }
                Err(_) => unreadable += 1,
            }
        }
        report.push(Resealed {
            column: format!("{table}.{col}"),
            resealed,
            unreadable,
        });
    }
    Ok(report)
}
