ALTER TABLE visitors DROP COLUMN linked_at;
