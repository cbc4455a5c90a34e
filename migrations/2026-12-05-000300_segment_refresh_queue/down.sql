-- Back to the `dirty` flag (definitions of 2026-12-05-000103 and 2026-12-05-000041).
ALTER TABLE contact_metrics RESET (fillfactor);
ALTER TABLE contact_metrics ADD COLUMN dirty BOOLEAN NOT NULL DEFAULT false;
UPDATE contact_metrics m SET dirty = true FROM contact_metrics_dirty q WHERE q.contact_id = m.contact_id;
ALTER TABLE contact_metrics ALTER COLUMN dirty SET DEFAULT true;
CREATE INDEX contact_metrics_dirty_idx ON contact_metrics (page_id) WHERE dirty;

DO $migration$
DECLARE
    formula TEXT := $formula$
    WITH r AS (
        SELECT a.contact_id, a.page_id, COALESCE(a.contest_id, 0) AS contest_id, a.kind, a.occurred_at,
               CASE WHEN jsonb_typeof(a.details->'sentiment') = 'number'
                    THEN (a.details->>'sentiment')::double precision END AS sentiment,
               CASE WHEN jsonb_typeof(a.details->'points') = 'number'
                    THEN (a.details->>'points')::bigint ELSE 0 END AS points
        FROM %1$s AS a
    ), per_contact AS (
        SELECT contact_id, min(page_id) AS page_id,
            %2$s * count(*) FILTER (WHERE kind = 'page_view') AS page_views,
            %2$s * count(*) FILTER (WHERE kind = 'entry') AS entries,
            %2$s * count(*) FILTER (WHERE kind = 'vote_cast') AS votes_cast,
            %2$s * count(*) FILTER (WHERE kind = 'vote_received') AS votes_received,
            %2$s * count(*) FILTER (WHERE kind = 'referral_click') AS referral_clicks,
            %2$s * count(*) FILTER (WHERE kind = 'referral_conversion') AS referral_conversions,
            %2$s * count(*) FILTER (WHERE kind = 'share') AS shares,
            %2$s * count(*) FILTER (WHERE kind = 'comment') AS comments,
            %2$s * count(*) FILTER (WHERE kind = 'reaction') AS reactions,
            %2$s * count(*) FILTER (WHERE kind = 'mention') AS mentions,
            %2$s * count(*) FILTER (WHERE kind = 'mention' AND sentiment > 0.05) AS positive_mentions,
            %2$s * count(*) FILTER (WHERE kind = 'post') AS posts,
            %2$s * count(*) FILTER (WHERE kind = 'rating') AS ratings,
            %2$s * count(*) FILTER (WHERE kind IN ('poll_suggestion', 'poll_vote')) AS poll_actions,
            %2$s * COALESCE(sum(points) FILTER (WHERE kind = 'points_awarded'), 0) AS points,
            %2$s * COALESCE(sum(sentiment) FILTER (WHERE kind IN ('comment', 'mention', 'rating', 'entry', 'post')), 0) AS sentiment_sum,
            %2$s * count(sentiment) FILTER (WHERE kind IN ('comment', 'mention', 'rating', 'entry', 'post')) AS sentiment_count,
            %2$s * COALESCE(sum(sentiment) FILTER (WHERE kind = 'entry'), 0) AS ugc_sentiment_sum,
            %2$s * count(sentiment) FILTER (WHERE kind = 'entry') AS ugc_sentiment_count,
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
    SELECT page_id, contest_id, (occurred_at AT TIME ZONE 'UTC')::date, kind, (pg_backend_pid() %% 16)::smallint,
           %2$s * count(*), %2$s * COALESCE(sum(sentiment), 0), %2$s * count(sentiment)
    FROM (
        SELECT a.page_id, COALESCE(a.contest_id, 0) AS contest_id, a.kind, a.occurred_at,
               CASE WHEN jsonb_typeof(a.details->'sentiment') = 'number'
                    THEN (a.details->>'sentiment')::double precision END AS sentiment
        FROM %1$s AS a
    ) r
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (page_id, contest_id, day, kind, shard) DO UPDATE SET
        n = d.n + EXCLUDED.n,
        sentiment_sum = d.sentiment_sum + EXCLUDED.sentiment_sum,
        sentiment_count = d.sentiment_count + EXCLUDED.sentiment_count;
$formula$;
BEGIN
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION fanfare_activities_inserted() RETURNS trigger
        LANGUAGE plpgsql AS $body$
        BEGIN
            %s
            RETURN NULL;
        END $body$;$f$, format(formula, 'new_rows', '1'));

    -- An update (comment edit or removal) takes the old rows out, then puts the new
    -- ones in: two passes, as before, so float sums are added in the same order.
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION fanfare_activities_updated() RETURNS trigger
        LANGUAGE plpgsql AS $body$
        BEGIN
            %s
            %s
            RETURN NULL;
        END $body$;$f$, format(formula, 'old_rows', '-1'), format(formula, 'new_rows', '1'));

    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION fanfare_apply_activity_set(rows activities[], sign INTEGER) RETURNS void
        LANGUAGE plpgsql AS $body$
        BEGIN
            %s
        END $body$;$f$, format(formula, 'unnest(rows)', 'sign'));
END $migration$;

CREATE OR REPLACE FUNCTION fanfare_contacts_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contact_metrics (contact_id, page_id, friends_count)
    SELECT id, page_id, COALESCE(friends_count, 0) FROM new_contacts ORDER BY id
    ON CONFLICT (contact_id) DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION fanfare_contact_friends_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contact_metrics SET friends_count = COALESCE(NEW.friends_count, 0)
    WHERE contact_id = NEW.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION fanfare_consent_recorded() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'marketing' THEN
        INSERT INTO contact_metrics (contact_id, page_id, marketing_opt_in)
        SELECT NEW.contact_id, c.page_id, NEW.granted FROM contacts c WHERE c.id = NEW.contact_id
        ON CONFLICT (contact_id) DO UPDATE SET marketing_opt_in = EXCLUDED.marketing_opt_in, dirty = true;
    END IF;
    RETURN NULL;
END $$;

DROP TABLE contact_metrics_dirty;
