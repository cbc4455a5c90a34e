-- Every dashboard and admin-API read that grows with contacts or activities, as the
-- code sends it (src/db/*.rs; bound values inlined, as the unnamed prepared
-- statements diesel sends are planned with their values). Page :page, contest
-- :contest, one contact :contact, the ids of two personas :campaigner and
-- :side_liner (db::crm::list looks the segment's id up first and sends it).
-- Sections start with "-- name: <label>" so that
-- bench/p4_latency.sh can time each one with pgbench.
--   psql -v page=1 -v contest=1 -v contact=123 -v campaigner=4 -v side_liner=6 -f bench/p4_queries.sql DB   (plans)

-- name: contacts list, recent (default), first 50  [db::crm::list]
SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max,
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in,
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast,
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks,
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares,
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions,
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views,
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy,
  m.reach AS reach,
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments
  FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id
  WHERE c.page_id = :page AND m.page_id = :page AND c.erased_at IS NULL
  ORDER BY c.last_seen_at DESC, c.id DESC LIMIT 50 OFFSET 0;

-- name: contacts list, sort=advocacy, first 50  [db::crm::list]
SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max,
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in,
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast,
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks,
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares,
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions,
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views,
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy,
  m.reach AS reach,
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments
  FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id
  WHERE c.page_id = :page AND m.page_id = :page AND c.erased_at IS NULL
  ORDER BY m.advocacy DESC, m.contact_id LIMIT 50 OFFSET 0;

-- name: contacts list, sort=reach, first 50  [db::crm::list]
SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max,
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in,
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast,
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks,
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares,
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions,
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views,
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy,
  m.reach AS reach,
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments
  FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id
  WHERE c.page_id = :page AND m.page_id = :page AND c.erased_at IS NULL
  ORDER BY m.reach DESC, m.contact_id LIMIT 50 OFFSET 0;

-- name: contacts list, segment=campaigner, sort=advocacy  [db::crm::list]
SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max,
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in,
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast,
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks,
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares,
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions,
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views,
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy,
  m.reach AS reach,
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments
  FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id
  WHERE c.page_id = :page AND m.page_id = :page AND c.erased_at IS NULL
    AND EXISTS (SELECT 1 FROM segment_memberships sm WHERE sm.segment_id = :campaigner AND sm.contact_id = c.id)
  ORDER BY m.advocacy DESC, m.contact_id LIMIT 50 OFFSET 0;

-- name: contacts list, segment=side_liner, sort=recent  [db::crm::list]
SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max,
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in,
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast,
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks,
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares,
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions,
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views,
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy,
  m.reach AS reach,
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments
  FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id
  WHERE c.page_id = :page AND m.page_id = :page AND c.erased_at IS NULL
    AND EXISTS (SELECT 1 FROM segment_memberships sm WHERE sm.segment_id = :side_liner AND sm.contact_id = c.id)
  ORDER BY c.last_seen_at DESC, c.id DESC LIMIT 50 OFFSET 0;

-- name: contacts list, has_email=true, sort=recent  [db::crm::list]
SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max,
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in,
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast,
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks,
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares,
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions,
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views,
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy,
  m.reach AS reach,
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments
  FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id
  WHERE c.page_id = :page AND m.page_id = :page AND c.erased_at IS NULL AND (c.email IS NOT NULL) = true
  ORDER BY c.last_seen_at DESC, c.id DESC LIMIT 50 OFFSET 0;

-- name: contacts list, min_sentiment=0.5, sort=recent  [db::crm::list]
SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max,
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in,
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast,
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks,
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares,
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions,
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views,
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy,
  m.reach AS reach,
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments
  FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id
  WHERE c.page_id = :page AND m.page_id = :page AND c.erased_at IS NULL AND m.sentiment_avg >= 0.5
  ORDER BY c.last_seen_at DESC, c.id DESC LIMIT 50 OFFSET 0;

-- name: contacts list, search 'fan 4242', sort=recent  [db::crm::list]
SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max,
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in,
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast,
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks,
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares,
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions,
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views,
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy,
  m.reach AS reach,
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments
  FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id
  WHERE c.page_id = :page AND m.page_id = :page AND c.erased_at IS NULL
    AND (c.display_name ILIKE '%fan 4242%' ESCAPE '\' OR c.email ILIKE '%fan 4242%' ESCAPE '\')
  ORDER BY c.last_seen_at DESC, c.id DESC LIMIT 50 OFFSET 0;

-- name: contact profile  [db::crm::one]
SELECT c.id, c.display_name, c.email, c.postal_code, c.country, c.locale, c.age_min, c.age_max,
  c.first_source, c.first_seen_at, c.last_seen_at, COALESCE(m.marketing_opt_in, false) AS marketing_opt_in,
  COALESCE(m.entries, 0)::bigint AS entries, COALESCE(m.votes_cast, 0)::bigint AS votes_cast,
  COALESCE(m.votes_received, 0)::bigint AS votes_received, COALESCE(m.referral_clicks, 0)::bigint AS referral_clicks,
  COALESCE(m.referral_conversions, 0)::bigint AS referral_conversions, COALESCE(m.shares, 0)::bigint AS shares,
  COALESCE(m.comments, 0)::bigint AS comments, COALESCE(m.reactions, 0)::bigint AS reactions,
  COALESCE(m.mentions, 0)::bigint AS mentions, COALESCE(m.page_views, 0)::bigint AS page_views,
  COALESCE(m.points, 0)::bigint AS points, m.sentiment_avg AS sentiment, COALESCE(m.advocacy, 0) AS advocacy,
  m.reach AS reach,
  (SELECT string_agg(s.key, ',' ORDER BY s.kind DESC, s.key) FROM segment_memberships sm
     JOIN segments s ON s.id = sm.segment_id WHERE sm.contact_id = c.id) AS segments
  FROM contacts c JOIN contact_metrics m ON m.contact_id = c.id WHERE c.id = :contact;

-- name: contact timeline, 50 latest  [db::activities::timeline]
SELECT id, page_id, contact_id, contest_id, kind, occurred_at, details FROM activities
  WHERE contact_id = :contact ORDER BY occurred_at DESC, id DESC LIMIT 50;

-- name: contact segments  [db::segments::of_contact]
SELECT s.key FROM segment_memberships sm JOIN segments s ON s.id = sm.segment_id
  WHERE sm.contact_id = :contact ORDER BY s.kind DESC;

-- name: segment sizes  [db::segments::sizes, sizes from the member_count rollup]
SELECT id, key, member_count FROM segments WHERE page_id = :page ORDER BY kind DESC, id;

-- name: segment size history, one segment (90 days)  [db::segments::sizes, per segment]
SELECT day, size FROM segment_sizes_daily
  WHERE segment_id = (SELECT id FROM segments WHERE page_id = :page AND key = 'side_liner')
  ORDER BY day DESC LIMIT 90;

-- name: trends, daily counts, 30 days  [db::trends::daily]
SELECT day, kind, sum(n)::bigint AS n, sum(sentiment_sum) AS sentiment_sum, sum(sentiment_count)::bigint AS sentiment_count
  FROM daily_stats WHERE page_id = :page AND day >= current_date - 30
  GROUP BY day, kind ORDER BY day;

-- name: trends, daily reach, 30 days  [db::trends::daily_reach]
SELECT day, sum(COALESCE(impressions, reactions + comments + shares, 0))::bigint AS value FROM (
  SELECT DISTINCT ON (object_id, (taken_at AT TIME ZONE 'UTC')::date)
         (taken_at AT TIME ZONE 'UTC')::date AS day, reactions, comments, shares, impressions
  FROM reach_snapshots WHERE page_id = :page AND error IS NULL AND taken_at >= current_date - 30
  ORDER BY object_id, (taken_at AT TIME ZONE 'UTC')::date, taken_at DESC) s
  GROUP BY day ORDER BY day;

-- name: trends, recent texts for topics, 30 days  [db::trends::recent_texts]
(SELECT e.text AS text, c.locale FROM entries e JOIN contacts c ON c.id = e.contact_id
   WHERE e.page_id = :page AND e.text IS NOT NULL
     AND e.created_at >= current_date - 30 AND e.status <> 'disqualified' ORDER BY e.id DESC LIMIT 10000)
 UNION ALL
(SELECT t.text, (SELECT c.locale FROM contacts c WHERE c.id = t.contact_id) FROM (
    SELECT a.id, a.contact_id, a.details->>'message' AS text FROM activities a
     WHERE a.page_id = :page AND a.kind IN ('comment', 'mention', 'rating', 'post')
       AND a.details->>'message' IS NOT NULL AND a.occurred_at >= current_date - 30 ORDER BY a.id DESC LIMIT 10000) t
  ORDER BY t.id DESC);

-- name: export count, segment=side_liner  [db::crm::count_for_export]
SELECT COALESCE((SELECT s.member_count - (
    SELECT count(*) FROM contacts c JOIN segment_memberships sm
      ON sm.segment_id = s.id AND sm.contact_id = c.id
    WHERE c.page_id = :page AND c.erased_at IS NOT NULL)
  FROM segments s WHERE s.page_id = :page AND s.key = 'side_liner'), 0)::bigint AS n;

-- name: leaderboard, top 10  [db::points::top_balances]
SELECT b.contact_id, b.points, f.first_entry_id, c.display_name
  FROM point_balances b JOIN contacts c ON c.id = b.contact_id
  LEFT JOIN LATERAL (SELECT min(e.id) AS first_entry_id FROM entries e
                     WHERE e.contest_id = b.contest_id AND e.contact_id = b.contact_id) f ON true
  WHERE b.contest_id = :contest
  ORDER BY b.points DESC, f.first_entry_id ASC NULLS LAST, b.contact_id ASC LIMIT 10;

-- name: entries of a contest, first 50  [db::entries::list_for_admin]
SELECT e.id, e.status, e.created_at FROM entries e WHERE e.contest_id = :contest ORDER BY e.id DESC LIMIT 50;

-- name: moderation queue, pending entries  [db::entries::status_counts + pending list]
SELECT status, count(*) FROM entries WHERE contest_id = :contest GROUP BY status;

-- name: job queue depth  [db::jobs::depth]
SELECT count(*) FILTER (WHERE state = 'queued' AND run_at <= now()),
       count(*) FILTER (WHERE state = 'queued' AND run_at > now()),
       count(*) FILTER (WHERE state = 'dead') FROM jobs;
