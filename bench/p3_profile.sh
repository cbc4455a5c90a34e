#!/usr/bin/env bash
# P3 statement profile: like one round of p3_events.sh (fresh database, EVENTS
# feed events from SENDERS new fans, `fanfare worker` drains them) but with
# `log_min_duration_statement = 0` set on the bench database only, then the
# logged durations summed per statement (bench/pg_log_profile.py) over the
# worker's connections. Logging every statement slows the drain, so the drain
# time printed here is not a throughput figure.
#   usage: bench/p3_profile.sh   (env: EVENTS=40000 SENDERS=20000 CONCURRENCY=2 BATCH=10
#          PGLOG=/var/log/postgresql/postgresql-15-main.log, readable by this user)
source "$(dirname "$0")/lib.sh"
EVENTS="${EVENTS:-40000}"; SENDERS="${SENDERS:-20000}"
CONCURRENCY="${CONCURRENCY:-2}"; BATCH="${BATCH:-10}"
PGLOG="${PGLOG:-/var/log/postgresql/postgresql-15-main.log}"
machine
WORK=$(mktemp -d /tmp/bench_p3prof.XXXX)
trap 'stop_serve; [ -n "${WPID:-}" ] && kill $WPID 2>/dev/null; rm -rf "$WORK"' EXIT
psql -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" postgres
start_serve --no-worker; wait_page; stop_serve
"$FANFARE" seed --events "$EVENTS" --senders "$SENDERS" 2> "$WORK/seed.txt"
psql -qc "ALTER DATABASE $BENCH_DB SET log_min_duration_statement = 0" postgres
psql -qc "ALTER DATABASE $BENCH_DB SET track_functions = 'pl'" postgres
offset=$(stat -c %s "$PGLOG")
start=$(date +%s.%N)
FANFARE__WORKER__BATCH_SIZE=$BATCH "$FANFARE" worker --concurrency "$CONCURRENCY" > "$WORK/worker.log" 2>&1 &
WPID=$!
while :; do
  psql -Atc "select pid from pg_stat_activity where datname = '$BENCH_DB' and pid <> pg_backend_pid()" postgres >> "$WORK/pids"
  left=$(psql -Atc "select count(*) from jobs where kind in ('process_deliveries', 'process_event') and state='queued'" "$BENCH_DB")
  [ "$left" = 0 ] && break
  sleep 0.5
done
end=$(date +%s.%N)
for _ in $(seq 1 600); do
  [ "$(psql -Atc "select count(*) from contact_metrics_dirty" "$BENCH_DB")" = 0 ] && break
  sleep 0.2
done
kill $WPID; wait $WPID 2>/dev/null || true; WPID=""
psql -qc "ALTER DATABASE $BENCH_DB RESET log_min_duration_statement" postgres
psql -qc "ALTER DATABASE $BENCH_DB RESET track_functions" postgres
echo "drained $EVENTS events in $(python3 -c "print(f'{$end-$start:.2f}')") s with every statement logged"
echo "plpgsql functions (total ms incl. nested / self ms / calls):"
psql -Atc "select funcname, round(total_time), round(self_time), calls from pg_stat_user_functions order by total_time desc limit 8" "$BENCH_DB"
python3 "$BENCH_DIR/pg_log_profile.py" "$PGLOG" "$offset" "$WORK/pids" "${TOP:-25}"
