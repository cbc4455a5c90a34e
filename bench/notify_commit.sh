#!/usr/bin/env bash
# Why ingest must not NOTIFY inside its group transaction: Postgres serialises the
# commits of all transactions that issued NOTIFY (PreCommit_Notify takes a
# database-wide heavyweight lock and holds it until the transaction ends, i.e.
# through the WAL flush), so concurrent commits can no longer share a flush.
# pgbench, C clients, the P1 baseline's INSERT in an explicit transaction with and
# without a NOTIFY, alternating, ROUNDS rounds.
#   usage: bench/notify_commit.sh   (env: ROUNDS=3 DURATION=8 CONNS=64 THREADS=2)
source "$(dirname "$0")/lib.sh"
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-8}"; CONNS="${CONNS:-64}"; THREADS="${THREADS:-2}"
DB=fanfare_notify_bench
machine
psql -qc "DROP DATABASE IF EXISTS $DB" postgres; psql -qc "CREATE DATABASE $DB" postgres
psql -qc "CREATE TABLE bench_ingest (id bigserial primary key, body text not null, at timestamptz not null default now())" $DB
for r in $(seq 1 "$ROUNDS"); do
  for f in plain commit; do
    tps=$(pgbench -n -c "$CONNS" -j "$THREADS" -T "$DURATION" -f "$BENCH_DIR/notify_$f.sql" $DB 2>&1 | awk '/^tps/{printf "%d", $3}')
    echo "round $r: $([ $f = plain ] && echo 'INSERT+COMMIT       ' || echo 'INSERT+NOTIFY+COMMIT') tps=$tps load=$(cut -d' ' -f1 /proc/loadavg)"
  done
done
psql -qc "DROP DATABASE $DB" postgres
