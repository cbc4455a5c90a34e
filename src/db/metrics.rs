//! Rebuilding the rollups (`contact_metrics`, `daily_stats`) from the timeline, with
//! the same formula the triggers use (one template, migration
//! `2026-12-05-000103_rollup_from_transition_tables`).

use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// Rebuilds a page's rollups from its activities; returns how many were read.
pub fn rebuild(conn: &mut PgConnection, page_id: i64) -> QueryResult<i64> {
    conn.transaction(|c| {
        diesel::sql_query("DELETE FROM contact_metrics WHERE page_id = $1").bind::<BigInt, _>(page_id).execute(c)?;
        diesel::sql_query("DELETE FROM daily_stats WHERE page_id = $1").bind::<BigInt, _>(page_id).execute(c)?;
        #[derive(QueryableByName)]
        struct Bounds {
            #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
            lo: Option<i64>,
            #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
            hi: Option<i64>,
        }
        // Chunked by contact, not by activity id: every contact's metrics row is
        // then written once (an insert) instead of once per chunk its activities
        // fall in (at 10M activities over 1M contacts: 1M inserts instead of ~10M
        // upserts, issue 10 P4). The sums are the same whatever the chunking.
        let b: Bounds = diesel::sql_query(
            "SELECT min(contact_id) AS lo, max(contact_id) AS hi FROM activities WHERE page_id = $1",
        )
        .bind::<BigInt, _>(page_id)
        .get_result(c)?;
        // Typed rows straight into the rollup formula (no jsonb round trip).
        let apply = "SELECT fanfare_apply_activity_set(COALESCE(array_agg(a), '{}'), 1) \
                     FROM activities a WHERE a.page_id = $1";
        if let (Some(lo), Some(hi)) = (b.lo, b.hi) {
            let step = 5_000;
            let mut start = lo;
            while start <= hi {
                diesel::sql_query(format!("{apply} AND a.contact_id >= $2 AND a.contact_id < $3"))
                    .bind::<BigInt, _>(page_id)
                    .bind::<BigInt, _>(start)
                    .bind::<BigInt, _>(start + step)
                    .execute(c)?;
                start += step;
            }
        }
        // Anonymous activities (page views before the visitor was known) count in
        // the daily stats only.
        diesel::sql_query(format!("{apply} AND a.contact_id IS NULL"))
            .bind::<BigInt, _>(page_id)
            .execute(c)?;
        // Every contact keeps its metrics row (the contacts list joins it, migration
        // 2026-12-05-000041): rows of zeros for contacts with no activity, and
        // the copied friends count, which the timeline does not carry. After the
        // timeline pass, so each row is still written once.
        diesel::sql_query(
            "INSERT INTO contact_metrics (contact_id, page_id, friends_count) \
             SELECT c.id, c.page_id, COALESCE(c.friends_count, 0) FROM contacts c \
             WHERE c.page_id = $1 AND NOT EXISTS (SELECT 1 FROM contact_metrics m WHERE m.contact_id = c.id) \
             ORDER BY c.id",
        )
        .bind::<BigInt, _>(page_id)
        .execute(c)?;
        diesel::sql_query(
            "UPDATE contact_metrics m SET friends_count = c.friends_count FROM contacts c \
             WHERE c.id = m.contact_id AND c.page_id = $1 AND c.friends_count IS NOT NULL \
               AND m.friends_count <> c.friends_count",
        )
        .bind::<BigInt, _>(page_id)
        .execute(c)?;
        // Latest marketing consent per contact, and share engagement from snapshots.
        diesel::sql_query(
            "UPDATE contact_metrics m SET marketing_opt_in = x.granted FROM ( \
               SELECT DISTINCT ON (contact_id) contact_id, granted FROM consents WHERE kind = 'marketing' \
               ORDER BY contact_id, recorded_at DESC, id DESC) x \
             WHERE m.contact_id = x.contact_id AND m.page_id = $1",
        )
        .bind::<BigInt, _>(page_id)
        .execute(c)?;
        // Every contact of the page is evaluated again by the next refresh (the
        // rows were deleted and rebuilt; the trigger queued only the active ones).
        diesel::sql_query(format!(
            "INSERT INTO contact_metrics_dirty (contact_id, page_id) \
             SELECT contact_id, page_id FROM contact_metrics WHERE page_id = $1 ORDER BY contact_id {}",
            super::segments::QUEUE_FOR_REFRESH
        ))
        .bind::<BigInt, _>(page_id)
        .execute(c)?;
        let total: i64 = {
            use super::schema::activities;
            activities::table.filter(activities::page_id.eq(page_id)).count().get_result(c)?
        };
        Ok(total)
    })
}
