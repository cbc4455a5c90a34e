#!/usr/bin/env bash
# Horizontal scale: two `fanfare serve --no-worker` processes (A and B, different
# ports) and two `fanfare worker` processes share one database. Signed webhook load
# is split round-robin across A and B. Proves:
#   * no job is processed twice (concurrently or not): an audit trigger, installed
#     in this scratch database only, records every activities insert attempt with
#     the inserting transaction and client port (mapped to the worker process with
#     ss at the end). Because it runs in
#     the job's own transaction, only committed job runs leave a record: an event
#     with two records had its effect committed by two job runs.
#   * no effect is duplicated (reconcile.py);
#   * state that matters is shared: OAuth started on A completes on B, B's session
#     works on A and B's logout revokes it on A, A's CSRF token is valid on B, and
#     the per-IP entry limit counts across A and B (scale_state_check.py).
#
# Usage: scripts/reliability/horizontal_scale.sh [LOAD_SECONDS (default 40)]
# Env: FANFARE_BIN, PORT_A (18501), PORT_B (18502), RATE (default 15 deliveries/s).
source "$(dirname "$0")/lib.sh"

LOAD_SECS="${1:-40}"
PORT_A="${PORT_A:-18501}"
PORT_B="${PORT_B:-18502}"
DB_NAME=fanfare_reliab_scale
DB_URL="$PGURL_BASE/$DB_NAME"
OUT="$ROOT/target/reliability/scale"
RUN="scale$(date +%s)"
LIMIT=3
mkdir -p "$OUT"
rm -f "$OUT"/*

PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

ensure_binary
log "$(machine); binary $BIN; database $DB_NAME; run $RUN"
fresh_db "$DB_NAME"
fanfare_env
export FANFARE__LIMITS__ENTRIES_PER_IP_PER_10M=$LIMIT

q "CREATE TABLE reliability_effect_runs (
     id bigserial PRIMARY KEY, dedupe_key text, app text, backend int, port int, txid bigint,
     at timestamptz NOT NULL DEFAULT clock_timestamp());
   CREATE FUNCTION reliability_audit() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN
     INSERT INTO reliability_effect_runs (dedupe_key, app, backend, port, txid)
     VALUES (NEW.dedupe_key, current_setting('application_name'), pg_backend_pid(),
             inet_client_port(), txid_current());
     RETURN NEW;
   END \$\$;
   CREATE TRIGGER reliability_audit BEFORE INSERT ON activities
     FOR EACH ROW EXECUTE FUNCTION reliability_audit();" >/dev/null

# A first: its first start installs the demo page and opens the demo contest.
# Behind a load balancer every process has the same public URL; A's address plays it.
export FANFARE__SERVER__PUBLIC_URL="http://127.0.0.1:$PORT_A"
FANFARE__SERVER__PORT=$PORT_A \
  "$BIN" serve --no-worker >>"$OUT/serveA.log" 2>&1 &
PIDS="$PIDS $!"
wait_http "http://127.0.0.1:$PORT_A/healthz" 120
wait_sql "SELECT EXISTS (SELECT 1 FROM contests WHERE status = 'open')" 120
FANFARE__SERVER__PORT=$PORT_B FANFARE__SANDBOX__DEMO=false \
  "$BIN" serve --no-worker >>"$OUT/serveB.log" 2>&1 &
PIDS="$PIDS $!"
wait_http "http://127.0.0.1:$PORT_B/healthz" 120
WORKER_PIDS=""
for w in 1 2; do
  "$BIN" worker --concurrency 2 >>"$OUT/worker$w.log" 2>&1 &
  PIDS="$PIDS $!"
  WORKER_PIDS="$WORKER_PIDS $!"
done
log "serve A :$PORT_A, serve B :$PORT_B, worker1, worker2 up"

SLUG=$(q "SELECT slug FROM contests WHERE status = 'open' ORDER BY id LIMIT 1")
echo "== horizontal scale: $(machine), 2 serve + 2 worker processes, load ${LOAD_SECS}s =="
STATUS=0
echo "-- shared state across A and B"
python3 "$HERE/scale_state_check.py" "http://127.0.0.1:$PORT_A" "http://127.0.0.1:$PORT_B" "$SLUG" "$LIMIT" || STATUS=1

python3 "$HERE/webhook_load.py" --urls "http://127.0.0.1:$PORT_A,http://127.0.0.1:$PORT_B" --run "$RUN" \
  --duration "$LOAD_SECS" --retry-for 30 --concurrency 16 --events 2 --rate "${RATE:-15}" \
  --out "$OUT/load.ndjson" 2>"$OUT/load-summary.json"
log "load done: $(cat "$OUT/load-summary.json")"
wait_sql "SELECT NOT EXISTS (SELECT 1 FROM jobs WHERE kind IN ('process_deliveries', 'process_event') AND state = 'queued')
          AND NOT EXISTS (SELECT 1 FROM webhook_events WHERE processed_at IS NULL)" 900 || true

echo "load: $(cat "$OUT/load-summary.json")"
echo "-- deliveries acknowledged per serve process"
python3 - "$OUT/load.ndjson" <<'PY'
import json, sys
by = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["status"] == 200:
        by[r["url"]] = by.get(r["url"], 0) + 1
for u, n in sorted(by.items()):
    print(f"  {u}: {n}")
PY
echo "-- committed effect runs per worker process (client port -> process via ss)"
ss -tnpH '( dport = :5432 )' >"$OUT/ss.txt" || true
q "SELECT port, count(*), count(DISTINCT txid) FROM reliability_effect_runs
   WHERE dedupe_key LIKE 'comment:$RUN%' GROUP BY port" >"$OUT/runs-by-port.txt"
python3 - "$OUT/ss.txt" "$OUT/runs-by-port.txt" $WORKER_PIDS <<'PY'
import re, sys
ss, runs, pids = sys.argv[1], sys.argv[2], sys.argv[3:]
names = {p: f"worker{i + 1} (pid {p})" for i, p in enumerate(pids)}
port_pid = {}
for line in open(ss):
    m = re.search(r"127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:5432.*pid=(\d+)", line)
    if m:
        port_pid[m.group(1)] = m.group(2)
by = {}
for line in open(runs):
    port, n, tx = line.strip().split("|")
    who = names.get(port_pid.get(port, ""), "a connection closed before the end")
    a, b = by.get(who, (0, 0))
    by[who] = (a + int(n), b + int(tx))
for who, (n, tx) in sorted(by.items()):
    print(f"  {who}: {n} effects committed in {tx} transactions")
PY
python3 "$HERE/reconcile.py" --db "$DB_URL" --load "$OUT/load.ndjson" --run "$RUN" --audit || STATUS=1
exit $STATUS
