//! `fanfare segments recompute [--page ID]`: rebuilds metrics from the timeline
//! when asked, then recomputes every segment, with timing.

use anyhow::Context;
use diesel::{Connection, PgConnection};

use crate::config::Settings;
use crate::db::{pages, segments};

pub fn recompute(
    settings: &Settings,
    page: Option<String>,
    rebuild_metrics: bool,
) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(settings.database.url.expose())
        .context("cannot connect to the database")?;
    let list = match page {
        Some(p) => vec![match p
            .parse::<i64>()
            .ok()
            .and_then(|id| pages::find(&mut conn, id).ok())
        {
            Some(page) => page,
            None => pages::find_by_fb_id(&mut conn, &p)?.context("no such page")?,
        }],
        None => pages::all(&mut conn)?,
    };
    for page in list {
        let started = std::time::Instant::now();
        if rebuild_metrics {
            let n = crate::db::metrics::rebuild(&mut conn, page.id)?;
            eprintln!(
                "{}: rebuilt metrics from {n} activities in {:.1?}",
                page.name,
                started.elapsed()
            );
        }
        let t = std::time::Instant::now();
        let sizes = conn.transaction(|c| segments::recompute(c, page.id, &settings.segments))?;
        eprintln!(
            "{}: recomputed {} segments in {:.2?}",
            page.name,
            sizes.len(),
            t.elapsed()
        );
        for (key, size) in sizes {
            println!("{}\t{key}\t{size}", page.id);
        }
    }
    Ok(())
}
