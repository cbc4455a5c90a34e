-- Baseline for P1: one ~2 KB single-row INSERT, committed on its own (autocommit).
INSERT INTO bench_ingest(body) VALUES (repeat(md5(random()::text), 64));
