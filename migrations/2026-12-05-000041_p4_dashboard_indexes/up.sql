-- Issue 10, P4: the dashboard reads that missed p95 <= 50 ms at 1M contacts and
-- 10M activities (BENCHMARKS.md, "P4 scale"), each given an index it can walk.

-- 1. Every contact has its contact_metrics row (created with the contact by the
-- trigger below, backfilled here), so the contacts list can INNER JOIN the
-- metrics and walk an index in advocacy or reach order instead of joining and
-- sorting every contact of the page (a LEFT JOIN's nullable side cannot give
-- the order). A row of zeros is exactly what the list showed for a contact
-- without a row (COALESCE(..., 0)).
--
-- 2. Reach (friends + engagement on shared posts + referral clicks) is stored on
-- contact_metrics: friends_count is copied from contacts (trigger below), and
-- `reach` is generated from the three, so it can be indexed.
ALTER TABLE contact_metrics ADD COLUMN friends_count INTEGER NOT NULL DEFAULT 0;

UPDATE contact_metrics m SET friends_count = c.friends_count
FROM contacts c
WHERE c.id = m.contact_id AND c.friends_count IS NOT NULL AND c.friends_count <> 0;

-- Erased contacts too: the invariant is "every contact", the list filters them.
INSERT INTO contact_metrics (contact_id, page_id, friends_count)
SELECT c.id, c.page_id, COALESCE(c.friends_count, 0) FROM contacts c
WHERE NOT EXISTS (SELECT 1 FROM contact_metrics m WHERE m.contact_id = c.id)
ORDER BY c.id;

-- Same formula as the list's former expression and segments::column("reach").
ALTER TABLE contact_metrics ADD COLUMN reach BIGINT GENERATED ALWAYS AS
    (friends_count::bigint + share_engagement + referral_clicks) STORED;

CREATE FUNCTION fanfare_contacts_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Statement-level with a transition table: a bulk insert (fanfare seed, a
    -- batch of webhook senders) costs one INSERT, not one per contact.
    INSERT INTO contact_metrics (contact_id, page_id, friends_count)
    SELECT id, page_id, COALESCE(friends_count, 0) FROM new_contacts ORDER BY id
    ON CONFLICT (contact_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER contacts_metrics_row AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS new_contacts
    FOR EACH STATEMENT EXECUTE FUNCTION fanfare_contacts_inserted();

CREATE FUNCTION fanfare_contact_friends_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contact_metrics SET friends_count = COALESCE(NEW.friends_count, 0)
    WHERE contact_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER contacts_friends_count AFTER UPDATE OF friends_count ON contacts
    FOR EACH ROW WHEN (OLD.friends_count IS DISTINCT FROM NEW.friends_count)
    EXECUTE FUNCTION fanfare_contact_friends_changed();

-- The list's orders, ties by contact id as before ("advocacy DESC, c.id").
-- The new advocacy index starts with the old one's columns, which it replaces.
CREATE INDEX contact_metrics_page_advocacy_idx ON contact_metrics (page_id, advocacy DESC, contact_id);
DROP INDEX contact_metrics_advocacy_idx;
CREATE INDEX contact_metrics_page_reach_idx ON contact_metrics (page_id, reach DESC, contact_id);

-- 3. Search: `display_name ILIKE '%term%' OR email ILIKE '%term%'` was a scan of
-- every contact; trigram indexes serve both sides (a BitmapOr). pg_trgm ships
-- with Postgres and is a trusted extension.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_display_name_trgm_idx ON contacts USING gin (display_name gin_trgm_ops);
CREATE INDEX contacts_email_trgm_idx ON contacts USING gin (email gin_trgm_ops);

-- 4. Topics' recent texts walk a page's activities newest first for those that
-- carry a message; the partial index holds only those (its predicate is the
-- query's, word for word), so the walk no longer reads every reaction and page
-- view of the page when few or none have a message.
CREATE INDEX activities_page_texts_idx ON activities (page_id, id)
    WHERE kind IN ('comment', 'mention', 'rating', 'post') AND details->>'message' IS NOT NULL;

-- 5. The export count for a segment is its member_count rollup minus members
-- that were erased since the last refresh (erasure keeps the memberships); this
-- finds a page's erased contacts without a scan.
CREATE INDEX contacts_page_erased_idx ON contacts (page_id, id) WHERE erased_at IS NOT NULL;
