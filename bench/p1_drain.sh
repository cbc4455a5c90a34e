#!/usr/bin/env bash
# P1 burst, then the backlog: DURATION seconds of P1's load (signed ~2 KB
# deliveries at CONNS connections, `fanfare serve` with its default in-process
# workers), then the time until every acknowledged delivery's events are applied.
# Prints the request rate, what was stored, how much was applied while the load
# ran, how long the rest took, and how many rounds fell back to one job per event.
#   usage: bench/p1_drain.sh   (env: DURATION=10 CONNS=64 THREADS=2 N=200000)
source "$(dirname "$0")/lib.sh"
DURATION="${DURATION:-10}"; CONNS="${CONNS:-64}"; THREADS="${THREADS:-2}"; N="${N:-200000}"
machine
psql -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" postgres
WORK=$(mktemp -d /tmp/bench_p1d.XXXX)
trap 'stop_serve; rm -rf "$WORK"' EXIT
start_serve
python3 "$BENCH_DIR/gen_webhooks.py" "$N" "$WORK/bodies.txt" --tag "d$$"
BODIES="$WORK/bodies.txt" WRK_THREADS="$THREADS" wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" \
  -s "$BENCH_DIR/webhook.lua" "$BENCH_URL" > "$WORK/wrk.txt" 2>&1
end=$(date +%s.%N)
stored=$(psql -Atc "select count(*) from webhook_deliveries" "$BENCH_DB")
applied=$(psql -Atc "select count(*) from webhook_events" "$BENCH_DB")
echo "load: $(grep Requests/sec "$WORK/wrk.txt" | awk '{print $2}') req/s for ${DURATION}s; stored $stored deliveries, $applied events applied when the load stopped"
# One waiting session, with a progress line every 5 s (see wait_until).
for _ in $(seq 1 120); do
  wait_until "$BENCH_DB" "NOT EXISTS (SELECT 1 FROM jobs WHERE kind IN ('process_deliveries', 'process_event') AND state = 'queued')" 5
  left=$(psql -Atc "select count(*) from jobs where kind in ('process_deliveries', 'process_event') and state = 'queued'" "$BENCH_DB")
  [ "$left" = 0 ] && break
  echo "  $(python3 -c "import time; print(f'{time.time()-$end:.0f}')") s: $left jobs left" >&2
done
took=$(python3 -c "import time; print(f'{time.time()-$end:.1f}')")
check=$(psql -Atc "select (select count(*) from webhook_events where processed_at is not null), (select count(*) from jobs where state = 'dead')" "$BENCH_DB")
echo "all applied ${took}s after the load stopped | processed events|dead jobs = $check | rounds that fell back to one job per event: $(grep -c 'one event per job' "/tmp/bench_serve_$BENCH_PORT.log" || true)"
