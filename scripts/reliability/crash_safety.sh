#!/usr/bin/env bash
# Crash safety: signed webhook load while `fanfare serve` is SIGKILLed 5 times at
# random moments (restarted each time), with a separate `fanfare worker`. Then,
# once the queue drains, reconciles (reconcile.py):
#   every delivery answered 200 is in webhook_deliveries exactly once, and every
#   event's CRM effect (its `activities` row) exists exactly once.
# Exit status non-zero on any mismatch.
#
# Usage: scripts/reliability/crash_safety.sh [LOAD_SECONDS (default 40)] [KILLS (default 5)]
# Env: FANFARE_BIN (default target/release/fanfare, built when stale), PORT (18481),
#      RATE (new deliveries per second, default 15; each carries 2 events).
source "$(dirname "$0")/lib.sh"

LOAD_SECS="${1:-40}"
KILLS="${2:-5}"
PORT="${PORT:-18481}"
DB_NAME=fanfare_reliab_crash
DB_URL="$PGURL_BASE/$DB_NAME"
OUT="$ROOT/target/reliability/crash"
RUN="crash$(date +%s)"
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.ndjson

SERVE_PID="" WORKER_PID="" LOAD_PID=""
cleanup() {
  for p in $LOAD_PID $SERVE_PID $WORKER_PID; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

ensure_binary
log "$(machine); binary $BIN; database $DB_NAME; run $RUN"
fresh_db "$DB_NAME"
fanfare_env
export FANFARE__SERVER__PORT="$PORT"

start_serve() {
  "$BIN" serve >>"$OUT/serve.log" 2>&1 &
  SERVE_PID=$!
}

start_serve
wait_http "http://127.0.0.1:$PORT/healthz" 120
"$BIN" worker >>"$OUT/worker.log" 2>&1 &
WORKER_PID=$!
# The first sandbox start installs the demo page (Alex's brand page): events of
# installed pages have CRM effects.
wait_sql "SELECT EXISTS (SELECT 1 FROM pages WHERE fb_page_id = '1111222233334444')" 120
log "serve (pid $SERVE_PID) and worker (pid $WORKER_PID) up; load for ${LOAD_SECS}s, $KILLS kills"

python3 "$HERE/webhook_load.py" --urls "http://127.0.0.1:$PORT" --run "$RUN" \
  --duration "$LOAD_SECS" --retry-for 30 --concurrency 16 --events 2 --rate "${RATE:-15}" \
  --out "$OUT/load.ndjson" 2>"$OUT/load-summary.json" &
LOAD_PID=$!

# Kill moments: KILLS random instants spread over the load, each in its own slot.
slot_ms=$((LOAD_SECS * 1000 / (KILLS + 1)))
for ((k = 1; k <= KILLS; k++)); do
  sleep "$(awk -v ms=$((slot_ms / 2 + RANDOM % slot_ms)) 'BEGIN{printf "%.3f", ms/1000}')"
  kill -KILL "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null || true
  log "kill $k: SIGKILL serve pid $SERVE_PID"
  echo "kill $k at $(date -u +%H:%M:%S.%N | cut -c1-12) pid $SERVE_PID" >>"$OUT/kills.log"
  sleep "0.$((2 + RANDOM % 7))"
  start_serve
  wait_http "http://127.0.0.1:$PORT/healthz" 120
  log "restarted serve: pid $SERVE_PID"
done

wait "$LOAD_PID" || true
LOAD_PID=""
log "load done: $(cat "$OUT/load-summary.json")"
log "waiting for the queue to drain"
wait_sql "SELECT NOT EXISTS (SELECT 1 FROM jobs WHERE kind IN ('process_deliveries', 'process_event') AND state = 'queued')
          AND NOT EXISTS (SELECT 1 FROM webhook_events WHERE processed_at IS NULL)" 900 || true

echo "== crash safety: $(machine), load ${LOAD_SECS}s, $KILLS SIGKILLs of serve =="
echo "load: $(cat "$OUT/load-summary.json")"
python3 "$HERE/reconcile.py" --db "$DB_URL" --load "$OUT/load.ndjson" --run "$RUN"
