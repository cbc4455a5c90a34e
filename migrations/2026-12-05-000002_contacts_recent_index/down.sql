DROP INDEX contacts_page_recent_idx;
