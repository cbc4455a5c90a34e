-- Back to the jsonb round trip (the definitions of 2026-12-04-000006_crm and 2026-12-05-000001_daily_stats_shards).
CREATE OR REPLACE FUNCTION fanfare_apply_activity_rows(rows JSONB, sign INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH r AS (
        SELECT (x->>'contact_id')::bigint AS contact_id,
               (x->>'page_id')::bigint AS page_id,
               COALESCE((x->>'contest_id')::bigint, 0) AS contest_id,
               x->>'kind' AS kind,
               (x->>'occurred_at')::timestamptz AS occurred_at,
               CASE WHEN jsonb_typeof(x->'details'->'sentiment') = 'number'
                    THEN (x->'details'->>'sentiment')::double precision END AS sentiment,
               CASE WHEN jsonb_typeof(x->'details'->'points') = 'number'
                    THEN (x->'details'->>'points')::bigint ELSE 0 END AS points
        FROM jsonb_array_elements(rows) AS x
    ), per_contact AS (
        SELECT contact_id, min(page_id) AS page_id,
            sign * count(*) FILTER (WHERE kind = 'page_view') AS page_views,
            sign * count(*) FILTER (WHERE kind = 'entry') AS entries,
            sign * count(*) FILTER (WHERE kind = 'vote_cast') AS votes_cast,
            sign * count(*) FILTER (WHERE kind = 'vote_received') AS votes_received,
            sign * count(*) FILTER (WHERE kind = 'referral_click') AS referral_clicks,
            sign * count(*) FILTER (WHERE kind = 'referral_conversion') AS referral_conversions,
            sign * count(*) FILTER (WHERE kind = 'share') AS shares,
            sign * count(*) FILTER (WHERE kind = 'comment') AS comments,
            sign * count(*) FILTER (WHERE kind = 'reaction') AS reactions,
            sign * count(*) FILTER (WHERE kind = 'mention') AS mentions,
            sign * count(*) FILTER (WHERE kind = 'mention' AND sentiment > 0.05) AS positive_mentions,
            sign * count(*) FILTER (WHERE kind = 'post') AS posts,
            sign * count(*) FILTER (WHERE kind = 'rating') AS ratings,
            sign * count(*) FILTER (WHERE kind IN ('poll_suggestion', 'poll_vote')) AS poll_actions,
            sign * COALESCE(sum(points) FILTER (WHERE kind = 'points_awarded'), 0) AS points,
            sign * COALESCE(sum(sentiment) FILTER (WHERE kind IN ('comment', 'mention', 'rating', 'entry', 'post')), 0) AS sentiment_sum,
            sign * count(sentiment) FILTER (WHERE kind IN ('comment', 'mention', 'rating', 'entry', 'post')) AS sentiment_count,
            sign * COALESCE(sum(sentiment) FILTER (WHERE kind = 'entry'), 0) AS ugc_sentiment_sum,
            sign * count(sentiment) FILTER (WHERE kind = 'entry') AS ugc_sentiment_count,
            max(occurred_at) AS last_activity_at
        FROM r WHERE contact_id IS NOT NULL GROUP BY contact_id
    )
    INSERT INTO contact_metrics AS m (contact_id, page_id, page_views, entries, votes_cast,
        votes_received, referral_clicks, referral_conversions, shares, comments, reactions,
        mentions, positive_mentions, posts, ratings, poll_actions, points, sentiment_sum,
        sentiment_count, ugc_sentiment_sum, ugc_sentiment_count, last_activity_at, dirty)
    SELECT contact_id, page_id, page_views, entries, votes_cast, votes_received, referral_clicks,
        referral_conversions, shares, comments, reactions, mentions, positive_mentions, posts,
        ratings, poll_actions, points, sentiment_sum, sentiment_count, ugc_sentiment_sum,
        ugc_sentiment_count, last_activity_at, true
    FROM per_contact ORDER BY contact_id
    ON CONFLICT (contact_id) DO UPDATE SET
        page_views = m.page_views + EXCLUDED.page_views,
        entries = m.entries + EXCLUDED.entries,
        votes_cast = m.votes_cast + EXCLUDED.votes_cast,
        votes_received = m.votes_received + EXCLUDED.votes_received,
        referral_clicks = m.referral_clicks + EXCLUDED.referral_clicks,
        referral_conversions = m.referral_conversions + EXCLUDED.referral_conversions,
        shares = m.shares + EXCLUDED.shares,
        comments = m.comments + EXCLUDED.comments,
        reactions = m.reactions + EXCLUDED.reactions,
        mentions = m.mentions + EXCLUDED.mentions,
        positive_mentions = m.positive_mentions + EXCLUDED.positive_mentions,
        posts = m.posts + EXCLUDED.posts,
        ratings = m.ratings + EXCLUDED.ratings,
        poll_actions = m.poll_actions + EXCLUDED.poll_actions,
        points = m.points + EXCLUDED.points,
        sentiment_sum = m.sentiment_sum + EXCLUDED.sentiment_sum,
        sentiment_count = m.sentiment_count + EXCLUDED.sentiment_count,
        ugc_sentiment_sum = m.ugc_sentiment_sum + EXCLUDED.ugc_sentiment_sum,
        ugc_sentiment_count = m.ugc_sentiment_count + EXCLUDED.ugc_sentiment_count,
        last_activity_at = GREATEST(m.last_activity_at, EXCLUDED.last_activity_at),
        dirty = true;

    INSERT INTO daily_stats AS d (page_id, contest_id, day, kind, shard, n, sentiment_sum, sentiment_count)
    SELECT page_id, contest_id, (occurred_at AT TIME ZONE 'UTC')::date, kind, (pg_backend_pid() % 16)::smallint,
           sign * count(*), sign * COALESCE(sum(sentiment), 0), sign * count(sentiment)
    FROM (
        SELECT (x->>'page_id')::bigint AS page_id,
               COALESCE((x->>'contest_id')::bigint, 0) AS contest_id,
               x->>'kind' AS kind,
               (x->>'occurred_at')::timestamptz AS occurred_at,
               CASE WHEN jsonb_typeof(x->'details'->'sentiment') = 'number'
                    THEN (x->'details'->>'sentiment')::double precision END AS sentiment
        FROM jsonb_array_elements(rows) AS x
    ) r
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (page_id, contest_id, day, kind, shard) DO UPDATE SET
        n = d.n + EXCLUDED.n,
        sentiment_sum = d.sentiment_sum + EXCLUDED.sentiment_sum,
        sentiment_count = d.sentiment_count + EXCLUDED.sentiment_count;
END $$;

CREATE OR REPLACE FUNCTION fanfare_activities_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fanfare_apply_activity_rows(
        (SELECT COALESCE(jsonb_agg(to_jsonb(n)), '[]') FROM new_rows n), 1);
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION fanfare_activities_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fanfare_apply_activity_rows(
        (SELECT COALESCE(jsonb_agg(to_jsonb(o)), '[]') FROM old_rows o), -1);
    PERFORM fanfare_apply_activity_rows(
        (SELECT COALESCE(jsonb_agg(to_jsonb(n)), '[]') FROM new_rows n), 1);
    RETURN NULL;
END $$;

DROP FUNCTION fanfare_apply_activity_set(activities[], INTEGER);
