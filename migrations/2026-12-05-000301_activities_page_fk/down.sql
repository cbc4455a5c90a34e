ALTER TABLE activities ADD CONSTRAINT activities_page_id_fkey
    FOREIGN KEY (page_id) REFERENCES pages (id) ON DELETE CASCADE;
