-- The social CRM's derived data: per-contact metrics, daily rollups, segments and
-- reach snapshots.
--
-- contact_metrics and daily_stats are maintained by statement-level triggers on
-- `activities` (the timeline is the source of truth): every path that records an
-- activity updates them in the same transaction, batch inserts cost one
-- aggregated update per statement, and a replayed activity (ON CONFLICT DO
-- NOTHING on its dedupe key) changes nothing. `fanfare segments recompute`
-- rebuilds them from the timeline.

CREATE TABLE contact_metrics (
    contact_id BIGINT PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    page_views INTEGER NOT NULL DEFAULT 0,
    entries INTEGER NOT NULL DEFAULT 0,
    votes_cast INTEGER NOT NULL DEFAULT 0,
    votes_received INTEGER NOT NULL DEFAULT 0,
    referral_clicks INTEGER NOT NULL DEFAULT 0,
    referral_conversions INTEGER NOT NULL DEFAULT 0,
    shares INTEGER NOT NULL DEFAULT 0,
    comments INTEGER NOT NULL DEFAULT 0,
    reactions INTEGER NOT NULL DEFAULT 0,
    mentions INTEGER NOT NULL DEFAULT 0,
    positive_mentions INTEGER NOT NULL DEFAULT 0,
    posts INTEGER NOT NULL DEFAULT 0,
    ratings INTEGER NOT NULL DEFAULT 0,
    poll_actions INTEGER NOT NULL DEFAULT 0,
    points BIGINT NOT NULL DEFAULT 0,
    sentiment_sum DOUBLE PRECISION NOT NULL DEFAULT 0,
    sentiment_count INTEGER NOT NULL DEFAULT 0,
    ugc_sentiment_sum DOUBLE PRECISION NOT NULL DEFAULT 0,
    ugc_sentiment_count INTEGER NOT NULL DEFAULT 0,
    -- Engagement (reactions + comments + shares) on posts the contact shared,
    -- from the latest reach snapshots.
    share_engagement INTEGER NOT NULL DEFAULT 0,
    marketing_opt_in BOOLEAN NOT NULL DEFAULT false,
    last_activity_at TIMESTAMPTZ,
    -- Set whenever the metrics change; the segment refresh clears it.
    dirty BOOLEAN NOT NULL DEFAULT true,
    sentiment_avg DOUBLE PRECISION GENERATED ALWAYS AS
        (CASE WHEN sentiment_count > 0 THEN sentiment_sum / sentiment_count END) STORED,
    -- Advocacy (documented in src/domain/advocacy.rs; keep the two in step):
    -- 5 per referral conversion, 0.2 per referral click, 0.5 per vote received,
    -- 2 per positive mention, and up to 3 for positive UGC sentiment.
    advocacy DOUBLE PRECISION GENERATED ALWAYS AS (
        5 * referral_conversions + 0.2 * referral_clicks + 0.5 * votes_received
        + 2 * positive_mentions
        + 3 * GREATEST(0, CASE WHEN ugc_sentiment_count > 0 THEN ugc_sentiment_sum / ugc_sentiment_count ELSE 0 END)
    ) STORED
);
CREATE INDEX contact_metrics_page_idx ON contact_metrics (page_id);
CREATE INDEX contact_metrics_dirty_idx ON contact_metrics (page_id) WHERE dirty;
CREATE INDEX contact_metrics_advocacy_idx ON contact_metrics (page_id, advocacy DESC);

-- Daily counts per page, contest (0 = none) and activity kind, in UTC days.
CREATE TABLE daily_stats (
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    contest_id BIGINT NOT NULL DEFAULT 0,
    day DATE NOT NULL,
    kind TEXT NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    sentiment_sum DOUBLE PRECISION NOT NULL DEFAULT 0,
    sentiment_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (page_id, contest_id, day, kind)
);

-- Aggregates one set of activity rows (with a sign) into the rollups.
CREATE FUNCTION fanfare_apply_activity_rows(rows JSONB, sign INTEGER) RETURNS void
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

    INSERT INTO daily_stats AS d (page_id, contest_id, day, kind, n, sentiment_sum, sentiment_count)
    SELECT page_id, contest_id, (occurred_at AT TIME ZONE 'UTC')::date, kind,
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
    ON CONFLICT (page_id, contest_id, day, kind) DO UPDATE SET
        n = d.n + EXCLUDED.n,
        sentiment_sum = d.sentiment_sum + EXCLUDED.sentiment_sum,
        sentiment_count = d.sentiment_count + EXCLUDED.sentiment_count;
END $$;

CREATE FUNCTION fanfare_activities_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fanfare_apply_activity_rows(
        (SELECT COALESCE(jsonb_agg(to_jsonb(n)), '[]') FROM new_rows n), 1);
    RETURN NULL;
END $$;

CREATE FUNCTION fanfare_activities_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fanfare_apply_activity_rows(
        (SELECT COALESCE(jsonb_agg(to_jsonb(o)), '[]') FROM old_rows o), -1);
    PERFORM fanfare_apply_activity_rows(
        (SELECT COALESCE(jsonb_agg(to_jsonb(n)), '[]') FROM new_rows n), 1);
    RETURN NULL;
END $$;

CREATE TRIGGER activities_rollup_insert AFTER INSERT ON activities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanfare_activities_inserted();
CREATE TRIGGER activities_rollup_update AFTER UPDATE ON activities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fanfare_activities_updated();

-- The latest marketing decision rides along in the metrics (segments, exports).
CREATE FUNCTION fanfare_consent_recorded() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'marketing' THEN
        INSERT INTO contact_metrics (contact_id, page_id, marketing_opt_in)
        SELECT NEW.contact_id, c.page_id, NEW.granted FROM contacts c WHERE c.id = NEW.contact_id
        ON CONFLICT (contact_id) DO UPDATE SET marketing_opt_in = EXCLUDED.marketing_opt_in, dirty = true;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER consents_marketing AFTER INSERT ON consents
    FOR EACH ROW EXECUTE FUNCTION fanfare_consent_recorded();

CREATE TABLE segments (
    id BIGSERIAL PRIMARY KEY,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('persona', 'custom')),
    -- 'campaigner', 'assistant', 'side_liner' for personas; a slug for custom ones.
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- A rule tree in the language of src/domain/segment_rules.rs.
    rule JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT segments_page_key UNIQUE (page_id, key)
);

CREATE TABLE segment_memberships (
    segment_id BIGINT NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    since TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, contact_id)
);
CREATE INDEX segment_memberships_contact_idx ON segment_memberships (contact_id);

-- Segment sizes per day, for movement over time.
CREATE TABLE segment_sizes_daily (
    segment_id BIGINT NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (segment_id, day)
);

-- Reach measured through the Graph API, kept over time.
CREATE TABLE reach_snapshots (
    id BIGSERIAL PRIMARY KEY,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    object_id TEXT NOT NULL,
    object_kind TEXT NOT NULL CHECK (object_kind IN ('share_post', 'contest_post')),
    contact_id BIGINT REFERENCES contacts (id) ON DELETE CASCADE,
    contest_id BIGINT REFERENCES contests (id) ON DELETE CASCADE,
    taken_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    reactions INTEGER,
    comments INTEGER,
    shares INTEGER,
    impressions INTEGER,
    error TEXT
);
CREATE INDEX reach_snapshots_object_idx ON reach_snapshots (object_id, taken_at DESC);
CREATE INDEX reach_snapshots_contest_idx ON reach_snapshots (contest_id, taken_at) WHERE contest_id IS NOT NULL;
