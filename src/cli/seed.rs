//! `fanfare seed`: bulk synthetic data for the benchmarks (`bench/`), written
//! server-side with `INSERT ... SELECT generate_series` in chunks, with a progress
//! bar on stderr.
//!
//! - `--events N` stores N feed events (60% comments, 30% reactions, 10% shares
//!   from `--senders` distinct fans) as webhook deliveries of 100 events each (real
//!   Facebook envelopes) and queues one `process_deliveries` job per delivery, as
//!   ingest queues one per group.
//! - `--contacts N --activities M` adds N contacts (with a page-scoped identity)
//!   and M timeline activities spread over them and the last 90 days, then
//!   rebuilds the rollups from the timeline (the per-statement rollup triggers are
//!   switched off for the bulk insert, which needs a superuser connection).
//!
//! The page must exist (a first `fanfare serve` in sandbox mode installs the demo
//! page). Never run against production data: the rows are clearly synthetic
//! (display names `Seed Fan N`, psids `seed-N`, dedupe keys `seed:...`) but real.

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Settings;
use crate::db::pages;

pub struct SeedArgs {
    pub page: String,
    pub events: u64,
    pub senders: u64,
    pub contacts: u64,
    pub activities: u64,
}

fn bar(total: u64, what: &str) -> anyhow::Result<ProgressBar> {
    let bar = ProgressBar::new(total);
    bar.set_style(ProgressStyle::with_template(&format!(
        "{{spinner}} {{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, eta {{eta}})"
    ))?);
    Ok(bar)
}

pub fn run(settings: &Settings, args: SeedArgs) -> anyhow::Result<()> {
    crate::db::prepare(&settings.database)?;
    let mut conn = PgConnection::establish(settings.database.url.expose())
        .context("cannot connect to the database")?;
    let page = pages::find_by_fb_id(&mut conn, &args.page)?.with_context(|| {
        format!(
            "page {} is not installed (start `fanfare serve` once in sandbox mode)",
            args.page
        )
    })?;
    if args.events > 0 {
        let t = std::time::Instant::now();
        seed_events(&mut conn, &args, settings.worker.max_attempts)?;
        eprintln!("queued {} events in {:.1?}", args.events, t.elapsed());
    }
    if args.contacts > 0 {
        let t = std::time::Instant::now();
        let (lo, hi) = seed_contacts(&mut conn, page.id, args.contacts)?;
        eprintln!("added {} contacts in {:.1?}", args.contacts, t.elapsed());
        if args.activities > 0 {
            let t = std::time::Instant::now();
            seed_activities(&mut conn, page.id, lo, hi, args.activities)?;
            eprintln!(
                "added {} activities in {:.1?}",
                args.activities,
                t.elapsed()
            );
            let t = std::time::Instant::now();
            let n = crate::db::metrics::rebuild(&mut conn, page.id)?;
            eprintln!("rebuilt rollups from {n} activities in {:.1?}", t.elapsed());
        }
    } else if args.activities > 0 {
        anyhow::bail!("--activities needs --contacts");
    }
    conn.batch_execute("ANALYZE")?;
    Ok(())
}

fn seed_events(conn: &mut PgConnection, args: &SeedArgs, max_attempts: i32) -> anyhow::Result<()> {
    const CHUNK: u64 = 20_000;
    let tag = format!("{:x}", rand::random::<u32>());
    let pb = bar(args.events, "events")?;
    let mut done = 0u64;
    while done < args.events {
        let n = CHUNK.min(args.events - done);
        conn.transaction::<_, anyhow::Error, _>(|c| {
            #[derive(QueryableByName)]
            struct Id {
                #[diesel(sql_type = BigInt)]
                id: i64,
            }
            // Real Facebook envelopes (one entry, 100 feed changes each), so the
            // worker parses and splits them exactly as it does received ones.
            let ids: Vec<Id> = diesel::sql_query(
                "WITH ev AS ( \
                   SELECT g, (g - $2) / 100 AS dlv, (g - $2) % 100 AS seq, \
                     CASE WHEN g % 10 < 6 THEN 'comment' WHEN g % 10 < 9 THEN 'reaction' ELSE 'share' END AS item, \
                     (9000000 + (g * 7919) % $4)::text AS sender \
                   FROM generate_series($2, $2 + $3 - 1) g \
                 ), ch AS ( \
                   SELECT dlv, jsonb_agg(jsonb_build_object('field', 'feed', 'value', jsonb_strip_nulls(jsonb_build_object( \
                       'item', item, 'verb', 'add', 'post_id', $5 || '_555', \
                       'parent_id', CASE WHEN item = 'comment' THEN $5 || '_555' END, \
                       'comment_id', CASE WHEN item = 'comment' THEN 'seed' || $1 || '_' || g END, \
                       'reaction_type', CASE WHEN item = 'reaction' THEN 'like' END, \
                       'share_id', CASE WHEN item = 'share' THEN 'seed' || $1 || '_' || g END, \
                       'from', jsonb_build_object('id', sender, 'name', 'Seed Fan ' || sender), \
                       'message', CASE WHEN item <> 'reaction' THEN (ARRAY['Love this shirt, amazing idea!', \
                           'Terrible shipping, very disappointed', 'Nice', 'Count me in', \
                           'The blue one is the best design I have seen this year', \
                           'meh', 'Great quality as always :)', 'Not for me, sorry'])[(g % 8) + 1] END, \
                       'created_time', extract(epoch FROM now())::bigint - g % 86400))) ORDER BY seq) AS changes \
                   FROM ev GROUP BY dlv \
                 ) \
                 INSERT INTO webhook_deliveries (body, body_sha256, signature, parse_status, object, event_count) \
                 SELECT convert_to(b, 'UTF8'), sha256(convert_to(b, 'UTF8')), 'seed', 'parsed', 'page', n \
                 FROM (SELECT dlv, jsonb_array_length(changes) AS n, \
                         jsonb_build_object('object', 'page', 'entry', jsonb_build_array(jsonb_build_object( \
                           'id', $5, 'time', extract(epoch FROM now())::bigint, 'changes', changes)))::text AS b \
                       FROM ch) x \
                 ORDER BY dlv RETURNING id",
            )
            .bind::<Text, _>(&tag)
            .bind::<BigInt, _>(done as i64)
            .bind::<BigInt, _>(n as i64)
            .bind::<BigInt, _>(args.senders.max(1) as i64)
            .bind::<Text, _>(&args.page)
            .load(c)?;
            let mut ids: Vec<i64> = ids.into_iter().map(|i| i.id).collect();
            ids.sort_unstable();
            // One job per delivery, as ingest queues one per group commit.
            diesel::sql_query(
                "INSERT INTO jobs (kind, payload, max_attempts) \
                 SELECT $2, jsonb_build_object('delivery_ids', jsonb_build_array(id), \
                          'events', event_count, 'bytes', octet_length(body)), $3 \
                 FROM webhook_deliveries WHERE id = ANY($1) ORDER BY id",
            )
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Text, _>(crate::db::webhooks::PROCESS_DELIVERIES)
            .bind::<diesel::sql_types::Integer, _>(max_attempts)
            .execute(c)?;
            crate::db::jobs::notify(c)?;
            Ok(())
        })?;
        done += n;
        pb.set_position(done);
    }
    pb.finish();
    Ok(())
}

/// Adds `n` contacts; returns the (contiguous) id range.
fn seed_contacts(conn: &mut PgConnection, page_id: i64, n: u64) -> anyhow::Result<(i64, i64)> {
    const CHUNK: u64 = 100_000;
    let pb = bar(n, "contacts")?;
    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = BigInt)]
        v: i64,
    }
    // Reserve a contiguous block of ids, so activities can be spread by arithmetic.
    let lo = diesel::sql_query("SELECT nextval(pg_get_serial_sequence('contacts', 'id')) AS v")
        .get_result::<Value>(conn)?
        .v;
    let hi = lo + n as i64 - 1;
    diesel::sql_query("SELECT setval(pg_get_serial_sequence('contacts', 'id'), $1) AS v")
        .bind::<BigInt, _>(hi)
        .get_result::<Value>(conn)?;
    let countries = "ARRAY['US','GB','SE','DE','FR','BR','IN','ES','IT','CA']";
    let mut done = 0u64;
    while done < n {
        let k = CHUNK.min(n - done);
        let from = lo + done as i64;
        let to = from + k as i64 - 1;
        conn.transaction::<_, anyhow::Error, _>(|c| {
            diesel::sql_query(format!(
                "INSERT INTO contacts (id, page_id, display_name, email, country, age_min, first_source, first_seen_at, last_seen_at) \
                 SELECT g, $1, 'Seed Fan ' || g, CASE WHEN g % 3 = 0 THEN 'fan' || g || '@seed.invalid' END, \
                        ({countries})[(g % 10) + 1], CASE WHEN g % 4 = 0 THEN 18 + (g % 5) * 5 END, 'webhook', \
                        now() - make_interval(days => (g % 365)::int), now() - make_interval(days => (g % 30)::int) \
                 FROM generate_series($2, $3) g"
            ))
            .bind::<BigInt, _>(page_id)
            .bind::<BigInt, _>(from)
            .bind::<BigInt, _>(to)
            .execute(c)?;
            diesel::sql_query(
                "INSERT INTO contact_identities (page_id, contact_id, kind, value, name) \
                 SELECT $1, g, 'psid', 'seed-' || g, 'Seed Fan ' || g FROM generate_series($2, $3) g",
            )
            .bind::<BigInt, _>(page_id)
            .bind::<BigInt, _>(from)
            .bind::<BigInt, _>(to)
            .execute(c)?;
            Ok(())
        })?;
        done += k;
        pb.set_position(done);
    }
    pb.finish();
    Ok((lo, hi))
}

fn seed_activities(
    conn: &mut PgConnection,
    page_id: i64,
    lo: i64,
    hi: i64,
    n: u64,
) -> anyhow::Result<()> {
    const CHUNK: u64 = 250_000;
    let pb = bar(n, "activities")?;
    let tag = format!("{:x}", rand::random::<u32>());
    let contests: Vec<i64> = crate::db::schema::contests::table
        .filter(crate::db::schema::contests::page_id.eq(page_id))
        .select(crate::db::schema::contests::id)
        .load(conn)?;
    let contest = contests.first().copied();
    let mut done = 0u64;
    while done < n {
        let k = CHUNK.min(n - done);
        conn.transaction::<_, anyhow::Error, _>(|c| {
            // Bulk load: the rollups are rebuilt from the timeline afterwards.
            c.batch_execute("SET LOCAL session_replication_role = replica")?;
            diesel::sql_query(
                "INSERT INTO activities (page_id, contact_id, contest_id, kind, occurred_at, details, dedupe_key) \
                 SELECT $1, $2 + (h % ($3 - $2 + 1)), \
                        CASE WHEN kind IN ('page_view', 'entry', 'vote_cast') THEN $6 END, kind, \
                        now() - make_interval(secs => (h % (90 * 86400))::double precision), \
                        CASE WHEN kind IN ('comment', 'mention', 'entry') \
                             THEN jsonb_build_object('sentiment', ((h % 200) - 80) / 100.0) ELSE '{}'::jsonb END, \
                        'seed:' || $5 || ':' || g \
                 FROM (SELECT g, (hashint8(g) & 2147483647) AS h, \
                         (ARRAY['reaction','reaction','reaction','reaction','reaction','reaction','reaction', \
                                'comment','comment','comment','comment','comment','comment', \
                                'page_view','page_view','page_view','page_view', \
                                'share','vote_cast','entry','mention','referral_click'])[((hashint8(g + 1) & 2147483647) % 22) + 1] AS kind \
                       FROM generate_series($4, $4 + $7 - 1) g) s",
            )
            .bind::<BigInt, _>(page_id)
            .bind::<BigInt, _>(lo)
            .bind::<BigInt, _>(hi)
            .bind::<BigInt, _>(done as i64)
            .bind::<Text, _>(&tag)
            .bind::<diesel::sql_types::Nullable<BigInt>, _>(contest)
            .bind::<BigInt, _>(k as i64)
            .execute(c)?;
            Ok(())
        })?;
        done += k;
        pb.set_position(done);
    }
    pb.finish();
    Ok(())
}
