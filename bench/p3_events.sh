#!/usr/bin/env bash
# P3 event processing: queue EVENTS feed events (fanfare seed --events: webhook
# deliveries of 100 events with one process_deliveries job each, as ingest queues
# them), then time `fanfare worker` draining the queue (split into events,
# contacts, timeline activities with sentiment, rollups, segment refresh). ROUNDS rounds on a fresh
# database each; events/s per round and the median.
# Side by side: pgbench's single-row INSERT+COMMIT tps is taken right before each
# round as a reference for the machine's state at that moment.
#   usage: bench/p3_events.sh   (env: ROUNDS=3 EVENTS=200000 SENDERS=20000 CONCURRENCY=2 BATCH=10;
#          KEEP=1 keeps the work directory with the worker logs)
# BATCH is jobs per claim; a seeded job holds one delivery of 100 events.
source "$(dirname "$0")/lib.sh"
ROUNDS="${ROUNDS:-3}"; EVENTS="${EVENTS:-200000}"; SENDERS="${SENDERS:-20000}"
CONCURRENCY="${CONCURRENCY:-2}"; BATCH="${BATCH:-10}"
machine
echo "rounds=$ROUNDS events=$EVENTS senders=$SENDERS worker_concurrency=$CONCURRENCY batch_size=$BATCH"
PGB_DB="${PGB_DB:-fanfare_pgbench}"
psql -qc "DROP DATABASE IF EXISTS $PGB_DB" postgres; psql -qc "CREATE DATABASE $PGB_DB" postgres
psql -qc "CREATE TABLE bench_ingest (id bigserial primary key, body text not null, at timestamptz not null default now())" $PGB_DB
WORK=$(mktemp -d /tmp/bench_p3.XXXX)
trap 'stop_serve; [ -n "${WPID:-}" ] && kill $WPID 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{s += $14 + $15} END {print s + 0}' "$@" 2>/dev/null || echo 0; }
for r in $(seq 1 "$ROUNDS"); do
  psql -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" postgres
  # A first start installs the sandbox demo page; no workers.
  start_serve --no-worker; wait_page; stop_serve
  "$FANFARE" seed --events "$EVENTS" --senders "$SENDERS" 2> "$WORK/seed$r.txt"
  queued=$(psql -Atc "select coalesce(sum(event_count), 0) from webhook_deliveries" "$BENCH_DB")
  tps=$(pgbench -n -c 64 -j 2 -T 5 -f "$BENCH_DIR/pgbench_insert.sql" "$PGB_DB" 2>&1 | awk '/^tps/{print $3}' || true)
  start=$(date +%s.%N)
  FANFARE__WORKER__BATCH_SIZE=$BATCH "$FANFARE" worker --concurrency "$CONCURRENCY" > "$WORK/worker$r.log" 2>&1 &
  WPID=$!
  wait_until "$BENCH_DB" "NOT EXISTS (SELECT 1 FROM jobs WHERE kind IN ('process_deliveries', 'process_event') AND state = 'queued')"
  end=$(date +%s.%N)
  # CPU time of the worker process and of its Postgres backends (they connected
  # when it started), per event: steadier than events/s on a shared machine.
  wcpu=$(cpu_ticks "/proc/$WPID/stat"); whwm=$(hwm_kb $WPID)
  bpids=$(psql -Atc "select pid from pg_stat_activity where datname = '$BENCH_DB' and pid <> pg_backend_pid()" postgres)
  pgcpu=$(cpu_ticks $(for p in $bpids; do echo "/proc/$p/stat"; done))
  # Segments follow the events shortly after (the worker's refresh, not the event
  # batches): time until no contact is left dirty, at most 120 s.
  wait_until "$BENCH_DB" "NOT EXISTS (SELECT 1 FROM contact_metrics_dirty)" 120
  seg_lag=$(python3 -c "import time; print(f'{time.time()-$end:.1f}')")
  kill $WPID; wait $WPID 2>/dev/null || true; WPID=""
  secs=$(python3 -c "print(f'{$end-$start:.2f}')")
  rate=$(python3 -c "print(f'{$queued/($end-$start):.0f}')")
  check=$(psql -Atc "select (select count(*) from webhook_events where processed_at is null), (select count(*) from jobs where state='dead'), (select count(*) from contacts), (select count(*) from activities), (select count(*) from contact_metrics_dirty)" "$BENCH_DB")
  per_event=$(python3 -c "print(f'worker {$wcpu*1e6/$hz/$queued:.1f} + its backends {$pgcpu*1e6/$hz/$queued:.1f}')")
  echo "round $r: pgbench tps=${tps%.*} | drained $queued events in ${secs}s = $rate events/s | CPU us/event: $per_event | worker VmHWM=${whwm} kB | segments current ${seg_lag}s later | unprocessed|dead|contacts|activities|dirty = $check"
  echo "$rate" >> "$WORK/rates"
done
echo "median events/s: $(median < "$WORK/rates")"
