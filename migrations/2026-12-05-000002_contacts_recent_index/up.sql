-- The contacts list (src/db/crm.rs, default sort "recent") ordered a page's
-- contacts by last_seen_at with a full scan and sort: 296 ms at 200,000 contacts
-- (BENCHMARKS.md, P4). With this index the first page reads 50 index entries
-- (18 ms in the same run).
CREATE INDEX contacts_page_recent_idx ON contacts (page_id, last_seen_at DESC, id DESC) WHERE erased_at IS NULL;
