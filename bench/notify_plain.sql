-- bench/notify_commit.sh: the same transaction as notify_commit.sql without the NOTIFY.
BEGIN;
INSERT INTO bench_ingest(body) VALUES (repeat(md5(random()::text), 64));
COMMIT;
