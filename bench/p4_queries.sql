-- A sample of the dashboard/API queries (src/db/crm.rs list, src/db/trends.rs daily,
-- src/db/segments.rs sizes), each with EXPLAIN (ANALYZE, BUFFERS), page :page.
-- psql -v page=1 -f bench/p4_queries.sql DB
\echo '--- crm::list, sort=recent, no filter, first page of 50'
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT c.id, c.display_name, COALESCE(m.entries, 0)::bigint AS entries, m.sentiment_avg, COALESCE(m.advocacy, 0) AS advocacy,
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments
  FROM contacts c LEFT JOIN contact_metrics m ON m.contact_id = c.id
  WHERE c.page_id = :page AND c.erased_at IS NULL ORDER BY c.last_seen_at DESC, c.id DESC LIMIT 50 OFFSET 0;
\echo '--- crm::list, sort=advocacy, segment=campaigner'
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT c.id, COALESCE(m.advocacy, 0) AS advocacy
  FROM contacts c LEFT JOIN contact_metrics m ON m.contact_id = c.id
  WHERE c.page_id = :page AND c.erased_at IS NULL
    AND EXISTS (SELECT 1 FROM segment_memberships sm JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id AND s.key = 'campaigner' AND s.page_id = c.page_id)
  ORDER BY advocacy DESC, c.id LIMIT 50 OFFSET 0;
\echo '--- trends::daily, last 30 days'
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT day, kind, sum(n)::bigint AS n, sum(sentiment_sum), sum(sentiment_count)::bigint
  FROM daily_stats WHERE page_id = :page AND day >= current_date - 30 GROUP BY day, kind ORDER BY day;
\echo '--- segments::sizes, one segment count'
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT count(*) FROM segment_memberships WHERE segment_id = (SELECT id FROM segments WHERE page_id = :page AND key = 'side_liner');
