-- Segment sizes as a rollup: `segments.member_count` is kept equal to the number
-- of its `segment_memberships` rows by statement-level triggers (transition
-- tables, one UPDATE per statement and segment), so the dashboard and the daily
-- size record read one row per segment instead of counting up to a million
-- memberships (issue 10, P4). Cascaded deletes (contact erasure, segment
-- deletion) go through the same triggers.
ALTER TABLE segments ADD COLUMN member_count BIGINT NOT NULL DEFAULT 0;

UPDATE segments s SET member_count = x.n
FROM (SELECT segment_id, count(*) AS n FROM segment_memberships GROUP BY segment_id) x
WHERE x.segment_id = s.id;

CREATE FUNCTION fanfare_segment_members_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Ordered by segment id so that concurrent refreshes lock in the same order.
    UPDATE segments s SET member_count = s.member_count + d.n
    FROM (SELECT segment_id, count(*) AS n FROM added GROUP BY segment_id ORDER BY segment_id) d
    WHERE s.id = d.segment_id;
    RETURN NULL;
END $$;

CREATE FUNCTION fanfare_segment_members_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE segments s SET member_count = s.member_count - d.n
    FROM (SELECT segment_id, count(*) AS n FROM removed GROUP BY segment_id ORDER BY segment_id) d
    WHERE s.id = d.segment_id;
    RETURN NULL;
END $$;

CREATE TRIGGER segment_members_count_insert AFTER INSERT ON segment_memberships
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION fanfare_segment_members_added();
CREATE TRIGGER segment_members_count_delete AFTER DELETE ON segment_memberships
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION fanfare_segment_members_removed();
