-- bench/notify_commit.sh: the P1 baseline's INSERT, plus a NOTIFY, in one transaction.
BEGIN;
INSERT INTO bench_ingest(body) VALUES (repeat(md5(random()::text), 64));
NOTIFY fanfare_bench_demo;
COMMIT;
