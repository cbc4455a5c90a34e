#!/usr/bin/env bash
# P1 webhook ingest (and P6 peak RSS) against a pgbench baseline, side by side.
# Each round: pgbench (one ~2 KB INSERT + COMMIT per transaction, C clients), then
# wrk (C connections of unique signed ~2 KB deliveries to POST /webhooks/facebook)
# on the same Postgres, back to back; ratio = wrk req/s / pgbench tps. ROUNDS
# rounds; the median ratio is the figure. Needs wrk, pgbench, a release build.
#   usage: bench/p1_ingest.sh   (env: ROUNDS=3 DURATION=10 CONNS=64 THREADS=2 N=...)
source "$(dirname "$0")/lib.sh"
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-10}"; CONNS="${CONNS:-64}"; THREADS="${THREADS:-2}"
N="${N:-100000}"
SERVE_ARGS="${SERVE_ARGS:-}"
machine
echo "rounds=$ROUNDS duration=${DURATION}s connections=$CONNS wrk_threads=$THREADS serve_args='$SERVE_ARGS'"
PGB_DB=fanfare_pgbench
psql -qc "DROP DATABASE IF EXISTS $PGB_DB" postgres; psql -qc "CREATE DATABASE $PGB_DB" postgres
psql -qc "CREATE TABLE bench_ingest (id bigserial primary key, body text not null, at timestamptz not null default now())" $PGB_DB
psql -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" postgres
trap stop_serve EXIT
# shellcheck disable=SC2086
start_serve $SERVE_ARGS
echo "serve pid $SERVE_PID, RSS after start $(hwm_kb $SERVE_PID) kB"
WORK=$(mktemp -d /tmp/bench_p1.XXXX)
for r in $(seq 1 "$ROUNDS"); do
  python3 "$BENCH_DIR/gen_webhooks.py" "$N" "$WORK/bodies$r.txt" --tag "r$r$$x"
done
for r in $(seq 1 "$ROUNDS"); do
  rm -f "$WORK"/pgbench_log*
  (cd "$WORK" && pgbench -n -c "$CONNS" -j "$THREADS" -T "$DURATION" -f "$BENCH_DIR/pgbench_insert.sql" -l --log-prefix=pgbench_log "$PGB_DB" > "$WORK/pgb$r.txt" 2>&1)
  tps=$(awk '/^tps/{print $3; exit}' "$WORK/pgb$r.txt")
  read -r bp50 bp99 < <(cat "$WORK"/pgbench_log* | python3 -c '
import sys
l = sorted(int(x.split()[2]) for x in sys.stdin)
print(f"{l[len(l)//2]/1000:.2f} {l[int(len(l)*0.99)]/1000:.2f}")')
  BODIES="$WORK/bodies$r.txt" WRK_THREADS="$THREADS" wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --latency -s "$BENCH_DIR/webhook.lua" "$BENCH_URL" > "$WORK/wrk$r.txt" 2>&1
  read -r rps p50 p99 bad < <(wrk_summary "$WORK/wrk$r.txt")
  ratio=$(python3 -c "print(f'{$rps/$tps:.2f}')")
  echo "round $r: pgbench tps=${tps%.*} p50=${bp50}ms p99=${bp99}ms | fanfare req/s=$rps p50=${p50}ms p99=${p99}ms non2xx=$bad | ratio=$ratio | serve VmHWM=$(hwm_kb $SERVE_PID) kB"
  echo "$ratio" >> "$WORK/ratios"
done
echo "median ratio: $(median < "$WORK/ratios")"
echo "peak RSS (VmHWM) of fanfare serve: $(hwm_kb $SERVE_PID) kB"
psql -Atc "select parse_status, count(*) from webhook_deliveries group by 1" "$BENCH_DB" | sed 's/^/stored deliveries: /'
rm -rf "$WORK"
