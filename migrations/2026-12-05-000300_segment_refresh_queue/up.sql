-- Issue 10 (P3): segment refreshes find changed contacts in a small queue table,
-- `contact_metrics_dirty`, instead of a `dirty` flag on `contact_metrics`.
--
-- The flag sat in the predicate of a partial index (`contact_metrics_dirty_idx`),
-- and it flipped on nearly every write: the activity trigger set it, the refresh
-- cleared it. An UPDATE that changes an indexed column (here, the predicate's)
-- cannot be a HOT update, so every rollup write added a new entry to each of the
-- table's five indexes. In a 200,000-event drain that was 391,000 row versions
-- and about 1.8 million of the 7.5 million WAL records (pg_waldump, BENCHMARKS.md).
-- Without the flag, the trigger's counter updates touch no indexed column
-- (advocacy and reach, the generated columns that are indexed, do not change for
-- comments, reactions and shares), and the fillfactor leaves room on each page
-- for the new version: HOT updates, one heap record and no index entries.
--
-- The queue protocol: every write that changes what segments see of a contact
-- inserts its row here, or locks the row already there, in the same transaction.
-- A refresh dequeues with FOR UPDATE SKIP LOCKED, so it never takes a contact
-- whose change has not committed yet; that contact stays queued.

CREATE TABLE contact_metrics_dirty (
    contact_id BIGINT PRIMARY KEY,
    page_id BIGINT NOT NULL
);
-- No foreign keys: each would add a KEY SHARE row lock on the contact per
-- write. A queued contact that was merged away or erased is simply dropped by
-- the refresh (it joins contacts).
INSERT INTO contact_metrics_dirty (contact_id, page_id)
SELECT contact_id, page_id FROM contact_metrics WHERE dirty;
DROP INDEX contact_metrics_dirty_idx;
ALTER TABLE contact_metrics DROP COLUMN dirty;
ALTER TABLE contact_metrics SET (fillfactor = 70);

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
    ), marked AS (
        -- Queued for the segment refresh. An already queued contact is locked
        -- (DO UPDATE ... WHERE false updates nothing but locks the row) so that
        -- a refresh running now skips it instead of dequeuing it before these
        -- metrics commit.
        INSERT INTO contact_metrics_dirty AS q (contact_id, page_id)
        SELECT contact_id, page_id FROM per_contact ORDER BY contact_id
        ON CONFLICT (contact_id) DO UPDATE SET page_id = EXCLUDED.page_id WHERE false
    )
    INSERT INTO contact_metrics AS m (contact_id, page_id, page_views, entries, votes_cast,
        votes_received, referral_clicks, referral_conversions, shares, comments, reactions,
        mentions, positive_mentions, posts, ratings, poll_actions, points, sentiment_sum,
        sentiment_count, ugc_sentiment_sum, ugc_sentiment_count, last_activity_at)
    SELECT contact_id, page_id, page_views, entries, votes_cast, votes_received, referral_clicks,
        referral_conversions, shares, comments, reactions, mentions, positive_mentions, posts,
        ratings, poll_actions, points, sentiment_sum, sentiment_count, ugc_sentiment_sum,
        ugc_sentiment_count, last_activity_at
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
        last_activity_at = GREATEST(m.last_activity_at, EXCLUDED.last_activity_at);

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

-- A new contact is evaluated once (the side-liner persona needs no activity).
CREATE OR REPLACE FUNCTION fanfare_contacts_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contact_metrics (contact_id, page_id, friends_count)
    SELECT id, page_id, COALESCE(friends_count, 0) FROM new_contacts ORDER BY id
    ON CONFLICT (contact_id) DO NOTHING;
    INSERT INTO contact_metrics_dirty (contact_id, page_id)
    SELECT id, page_id FROM new_contacts ORDER BY id
    ON CONFLICT (contact_id) DO UPDATE SET page_id = EXCLUDED.page_id WHERE false;
    RETURN NULL;
END $$;

-- Reach (a segment field) follows the friends count.
CREATE OR REPLACE FUNCTION fanfare_contact_friends_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contact_metrics SET friends_count = COALESCE(NEW.friends_count, 0)
    WHERE contact_id = NEW.id;
    INSERT INTO contact_metrics_dirty (contact_id, page_id) VALUES (NEW.id, NEW.page_id)
    ON CONFLICT (contact_id) DO UPDATE SET page_id = EXCLUDED.page_id WHERE false;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION fanfare_consent_recorded() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'marketing' THEN
        INSERT INTO contact_metrics (contact_id, page_id, marketing_opt_in)
        SELECT NEW.contact_id, c.page_id, NEW.granted FROM contacts c WHERE c.id = NEW.contact_id
        ON CONFLICT (contact_id) DO UPDATE SET marketing_opt_in = EXCLUDED.marketing_opt_in;
        INSERT INTO contact_metrics_dirty (contact_id, page_id)
        SELECT NEW.contact_id, c.page_id FROM contacts c WHERE c.id = NEW.contact_id
        ON CONFLICT (contact_id) DO UPDATE SET page_id = EXCLUDED.page_id WHERE false;
    END IF;
    RETURN NULL;
END $$;
