//! `fanfare rotate-keys`: re-seals every encrypted value with the current key
//! (see `db::rotation` for the procedure).

use anyhow::Context;
use diesel::{Connection, PgConnection};

use crate::config::Settings;
use crate::crypto::tokens::TokenCipher;

pub fn run(settings: &Settings) -> anyhow::Result<()> {
    let cipher = TokenCipher::new(&settings.security);
    let mut conn = PgConnection::establish(settings.database.url.expose())
        .context("cannot connect to the database")?;
    let report = conn.transaction(|c| crate::db::rotation::reseal_all(c, &cipher))?;
    for r in &report {
        println!(
            "{}: re-sealed {}, unreadable {}",
            r.column, r.resealed, r.unreadable
        );
    }
    if report.iter().any(|r| r.unreadable > 0) {
        anyhow::bail!("some values could not be opened with any configured key; keep the old key until they are fixed");
    }
    Ok(())
}
