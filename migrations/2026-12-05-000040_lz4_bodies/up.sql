-- Webhook bodies (about 2 KB each) and their events' JSON values sit right at the
-- TOAST threshold, so Postgres compresses most of them on insert. With the default
-- pglz that compression was about a fifth of the ingest backends' CPU under load
-- (perf, 2026-12-05); lz4 compresses several times faster at a similar ratio.
-- Only rows written from now on use it; existing rows keep pglz and read as before.
-- A server built without lz4 keeps pglz: the setting is an optimisation only.
DO $$
BEGIN
  ALTER TABLE webhook_deliveries ALTER COLUMN body SET COMPRESSION lz4;
  ALTER TABLE webhook_events ALTER COLUMN value SET COMPRESSION lz4;
  ALTER TABLE activities ALTER COLUMN details SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'this PostgreSQL has no lz4 support; keeping pglz';
END
$$;
