#!/usr/bin/env bash
# Database outage: signed webhook load against `fanfare serve` while the whole
# Postgres server is stopped for OUTAGE seconds (default 10; keep it short, the
# server is shared), then started again. Proves:
#   * while Postgres is down the webhook endpoint answers 503, never 200;
#   * /readyz answers 503 while down;
#   * the same serve process (never restarted) answers 200 again once it is back;
#   * no acknowledged delivery is lost (reconcile.py, after the queue drains).
# Postgres is ALWAYS started again on exit (trap).
#
# Usage: scripts/reliability/db_outage.sh [OUTAGE_SECONDS (default 10, max 20)]
# Env: FANFARE_BIN, PORT (18491), PG_CLUSTER ("15 main").
source "$(dirname "$0")/lib.sh"

OUTAGE="${1:-10}"
if ((OUTAGE > 20)); then OUTAGE=20; fi
PORT="${PORT:-18491}"
PG_CLUSTER="${PG_CLUSTER:-15 main}"
DB_NAME=fanfare_reliab_outage
DB_URL="$PGURL_BASE/$DB_NAME"
OUT="$ROOT/target/reliability/outage"
RUN="outage$(date +%s)"
mkdir -p "$OUT"
rm -f "$OUT"/*

pg_up() {
  # shellcheck disable=SC2086
  pg_ctlcluster --skip-systemctl-redirect $PG_CLUSTER start 2>/dev/null || true
}
SERVE_PID="" LOAD_PID="" PROBE_PID=""
cleanup() {
  pg_up
  for p in $PROBE_PID $LOAD_PID $SERVE_PID; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ensure_binary
log "$(machine); binary $BIN; database $DB_NAME; outage ${OUTAGE}s"
fresh_db "$DB_NAME"
fanfare_env
export FANFARE__SERVER__PORT="$PORT"
# Fail fast while the database is away: a request waits at most 1 s for a connection.
export FANFARE__DATABASE__ACQUIRE_TIMEOUT_MS=1000
"$BIN" serve >>"$OUT/serve.log" 2>&1 &
SERVE_PID=$!
wait_http "http://127.0.0.1:$PORT/healthz" 120
wait_sql "SELECT EXISTS (SELECT 1 FROM pages WHERE fb_page_id = '1111222233334444')" 120
log "serve pid $SERVE_PID up"

now() { date +%s.%N; }
# /readyz every 200 ms: "t0 t1 status".
(
  while :; do
    t0=$(now)
    s=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/readyz" || true)
    echo "$t0 $(now) $s"
    sleep 0.2
  done
) >"$OUT/readyz.log" &
PROBE_PID=$!

LOAD_SECS=$((OUTAGE + 20))
python3 "$HERE/webhook_load.py" --urls "http://127.0.0.1:$PORT" --run "$RUN" \
  --duration "$LOAD_SECS" --retry-for 40 --concurrency 8 --events 2 --rate 10 --timeout 10 \
  --out "$OUT/load.ndjson" 2>"$OUT/load-summary.json" &
LOAD_PID=$!

sleep 8
T_STOP=$(now)
# shellcheck disable=SC2086
pg_ctlcluster --skip-systemctl-redirect $PG_CLUSTER stop -m fast
T_DOWN=$(now)
log "Postgres stopped"
sleep "$OUTAGE"
T_UP=$(now)
pg_up
T_BACK=$(now)
log "Postgres started again ($(awk -v a="$T_DOWN" -v b="$T_UP" 'BEGIN{printf "%.1f", b-a}') s down)"

wait "$LOAD_PID" || true
LOAD_PID=""
kill "$PROBE_PID" 2>/dev/null || true
PROBE_PID=""
SAME_PROCESS=no
if kill -0 "$SERVE_PID" 2>/dev/null; then SAME_PROCESS=yes; fi
log "load done: $(cat "$OUT/load-summary.json")"
wait_sql "SELECT NOT EXISTS (SELECT 1 FROM jobs WHERE kind IN ('process_deliveries', 'process_event') AND state = 'queued')
          AND NOT EXISTS (SELECT 1 FROM webhook_events WHERE processed_at IS NULL)" 900 || true

echo "== database outage: $(machine), Postgres down ${OUTAGE}s under load =="
echo "load: $(cat "$OUT/load-summary.json")"
STATUS=0
python3 - "$OUT" "$T_STOP" "$T_DOWN" "$T_UP" "$T_BACK" "$SAME_PROCESS" <<'PY' || STATUS=1
import json, sys
out, t_stop, t_down, t_up, t_back, same = sys.argv[1], *map(float, sys.argv[2:6]), sys.argv[6]
hooks = [json.loads(l) for l in open(f"{out}/load.ndjson")]
ready = []
for l in open(f"{out}/readyz.log"):
    a, b, s = l.split()
    ready.append((float(a), float(b), s))
# Strictly inside the outage: sent after the stop finished, answered before the start.
inside = [h for h in hooks if h["t0"] >= t_down and h["t1"] <= t_up]
by = {}
for h in inside:
    by[str(h["status"])] = by.get(str(h["status"]), 0) + 1
r_inside = [r for r in ready if r[0] >= t_down and r[1] <= t_up]
r_by = {}
for r in r_inside:
    r_by[r[2]] = r_by.get(r[2], 0) + 1
after = sorted(h["t1"] for h in hooks if h["t0"] >= t_back and h["status"] == 200)
r_after = sorted(r[1] for r in ready if r[0] >= t_back and r[2] == "200")
lat = sorted(h["t1"] - h["t0"] for h in inside)
ok = True
print(f"webhook attempts inside the outage: {len(inside)} by answer {json.dumps(by, sort_keys=True)}")
if lat:
    print(f"  answer time inside the outage: median {lat[len(lat)//2]:.2f}s, max {lat[-1]:.2f}s")
if by.get("200", 0) or not inside:
    ok = False
    print("  FAIL: a 200 while Postgres was down (or no attempt inside the window)")
other = {k: v for k, v in by.items() if k != "503"}
if other:
    print(f"  answers other than 503 inside the outage: {other}")
    if any(k.isdigit() for k in other):
        ok = False
        print("  FAIL: an HTTP answer other than 503 while Postgres was down")
print(f"/readyz samples inside the outage: {len(r_inside)} by answer {json.dumps(r_by, sort_keys=True)}")
if r_by.get("200", 0) or not r_inside:
    ok = False
    print("  FAIL: /readyz said ready while Postgres was down")
if after:
    print(f"first webhook 200 after Postgres was back: +{after[0] - t_back:.2f}s")
else:
    ok = False
    print("  FAIL: no webhook 200 after Postgres came back")
if r_after:
    print(f"first /readyz 200 after Postgres was back: +{r_after[0] - t_back:.2f}s")
else:
    ok = False
    print("  FAIL: /readyz never recovered")
print(f"same serve process throughout (never restarted): {same}")
ok = ok and same == "yes"
print("OUTAGE CHECKS:", "OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
python3 "$HERE/reconcile.py" --db "$DB_URL" --load "$OUT/load.ndjson" --run "$RUN" || STATUS=1
exit $STATUS
