-- P4 seed without the binary (same rows as `fanfare seed --contacts --activities`):
-- psql -v contacts=200000 -v activities=1000000 -f bench/p4_seed.sql DB
\timing on
SELECT id AS page FROM pages WHERE fb_page_id = '1111222233334444' \gset
SELECT nextval(pg_get_serial_sequence('contacts', 'id')) AS lo \gset
SELECT setval(pg_get_serial_sequence('contacts', 'id'), :lo + :contacts - 1);
INSERT INTO contacts (id, page_id, display_name, email, country, age_min, first_source, first_seen_at, last_seen_at)
SELECT g, :page, 'Seed Fan ' || g, CASE WHEN g % 3 = 0 THEN 'fan' || g || '@seed.invalid' END,
       (ARRAY['US','GB','SE','DE','FR','BR','IN','ES','IT','CA'])[(g % 10) + 1],
       CASE WHEN g % 4 = 0 THEN 18 + (g % 5) * 5 END, 'webhook',
       now() - make_interval(days => (g % 365)::int), now() - make_interval(days => (g % 30)::int)
FROM generate_series(:lo, :lo + :contacts - 1) g;
INSERT INTO contact_identities (page_id, contact_id, kind, value, name)
SELECT :page, g, 'psid', 'seed-' || g, 'Seed Fan ' || g FROM generate_series(:lo, :lo + :contacts - 1) g;
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO activities (page_id, contact_id, contest_id, kind, occurred_at, details, dedupe_key)
SELECT :page, :lo + (h % :contacts), NULL, kind,
       now() - make_interval(secs => (h % (90 * 86400))::double precision),
       CASE WHEN kind IN ('comment', 'mention', 'entry') THEN jsonb_build_object('sentiment', ((h % 200) - 80) / 100.0) ELSE '{}'::jsonb END,
       'seed:sql:' || g
FROM (SELECT g, (hashint8(g) & 2147483647) AS h,
        (ARRAY['reaction','reaction','reaction','reaction','reaction','reaction','reaction',
               'comment','comment','comment','comment','comment','comment',
               'page_view','page_view','page_view','page_view',
               'share','vote_cast','entry','mention','referral_click'])[((hashint8(g + 1) & 2147483647) % 22) + 1] AS kind
      FROM generate_series(1, :activities) g) s;
COMMIT;
ANALYZE;
