#!/usr/bin/env bash
# P5 reach refresh: OBJECTS shared posts on the demo page (sandbox posts plus the
# `share` activities that name them), the sandbox's added latency set to
# LATENCY_MS, then one `reach_refresh` job run by the in-process worker. Graph
# requests are counted at the sandbox (GET /sandbox/admin/state graph_requests,
# a batch request counts once). Side by side: the time of one plain Graph call at
# the same latency, taken right before; "unbatched estimate" = OBJECTS x that.
#   usage: bench/p5_reach.sh   (env: ROUNDS=3 OBJECTS=1000 LATENCY_MS=50)
source "$(dirname "$0")/lib.sh"
ROUNDS="${ROUNDS:-3}"; OBJECTS="${OBJECTS:-1000}"; LATENCY_MS="${LATENCY_MS:-50}"
machine
echo "rounds=$ROUNDS objects=$OBJECTS sandbox_latency_ms=$LATENCY_MS"
psql -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" postgres
trap stop_serve EXIT
start_serve
wait_page
WORK=$(mktemp -d /tmp/bench_p5.XXXX)
PAGE=1111222233334444
PID_=$(psql -Atc "select id from pages where fb_page_id = '$PAGE'" "$BENCH_DB")
psql -q "$BENCH_DB" <<SQL
INSERT INTO sandbox_posts (id, page_id, message, created_time, shares_count)
SELECT '${PAGE}_b' || g, '$PAGE', 'bench post ' || g, now(), g % 7 FROM generate_series(1, $OBJECTS) g;
INSERT INTO activities (page_id, kind, details, dedupe_key)
SELECT $PID_, 'share', jsonb_build_object('post_id', '${PAGE}_b' || g), 'bench-share:' || g FROM generate_series(1, $OBJECTS) g;
SQL
curl -fs -X POST -H 'content-type: application/json' -d "{\"latency_ms\": $LATENCY_MS}" "$BENCH_URL/sandbox/admin/faults" > /dev/null
objects=$(psql -Atc "select count(*) from (select distinct details->>'post_id' from activities where page_id = $PID_ and kind = 'share') x" "$BENCH_DB")
for r in $(seq 1 "$ROUNDS"); do
  one=$(curl -s -o /dev/null -w '%{time_total}' "$BENCH_URL/sandbox/v21.0/${PAGE}_b1?fields=shares")
  before=$(curl -fs "$BENCH_URL/sandbox/admin/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["graph_requests"])')
  snaps0=$(psql -Atc "select count(*) from reach_snapshots" "$BENCH_DB")
  start=$(date +%s.%N)
  psql -qc "INSERT INTO jobs (kind, payload, max_attempts) VALUES ('reach_refresh', jsonb_build_object('page_id', $PID_), 1); NOTIFY fanfare_jobs" "$BENCH_DB"
  while [ "$(psql -Atc "select count(*) from jobs where kind = 'reach_refresh' and state = 'queued'" "$BENCH_DB")" != 0 ]; do sleep 0.05; done
  end=$(date +%s.%N)
  after=$(curl -fs "$BENCH_URL/sandbox/admin/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["graph_requests"])')
  snaps=$(( $(psql -Atc "select count(*) from reach_snapshots" "$BENCH_DB") - snaps0 ))
  dead=$(psql -Atc "select count(*) from jobs where kind = 'reach_refresh' and state = 'dead'" "$BENCH_DB")
  python3 - "$objects" "$((after - before))" "$start" "$end" "$one" "$snaps" "$dead" "$r" <<'PY' | tee -a "$WORK/out"
import sys
o, req, s, e, one, snaps, dead, r = sys.argv[1:]
o, req, secs, one = int(o), int(req), float(e) - float(s), float(one)
print(f"round {r}: {o} objects, {req} Graph requests ({req * 1000 / o:.1f} per 1,000), {secs:.2f} s = {o / secs:.0f} objects/s, "
      f"{snaps} snapshots stored, dead jobs {dead} | one plain call {one * 1000:.0f} ms -> unbatched estimate {o * one:.1f} s, speed-up {o * one / secs:.1f}x")
PY
done
rm -rf "$WORK"
