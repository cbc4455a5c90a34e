DROP INDEX contacts_page_erased_idx;
DROP INDEX activities_page_texts_idx;
DROP INDEX contacts_email_trgm_idx;
DROP INDEX contacts_display_name_trgm_idx;
CREATE INDEX contact_metrics_advocacy_idx ON contact_metrics (page_id, advocacy DESC);
DROP INDEX contact_metrics_page_reach_idx;
DROP INDEX contact_metrics_page_advocacy_idx;
DROP TRIGGER contacts_friends_count ON contacts;
DROP FUNCTION fanfare_contact_friends_changed();
DROP TRIGGER contacts_metrics_row ON contacts;
DROP FUNCTION fanfare_contacts_inserted();
-- The metrics rows created for contacts without activity stay (rows of zeros).
ALTER TABLE contact_metrics DROP COLUMN reach;
ALTER TABLE contact_metrics DROP COLUMN friends_count;
