#!/usr/bin/env bash
# P4 dashboard queries: times every "-- name:" section of bench/p4_queries.sql with
# pgbench (RUNS sequential executions, one client, per-transaction log) and prints
# p50 / p95 / max in ms; with PLANS=1 also prints each EXPLAIN (ANALYZE, BUFFERS).
#   usage: BENCH_DB=fanfare_p34_p4 bench/p4_latency.sh   (env: RUNS=40 PAGE= CONTEST= CONTACT= PLANS=0
#          ONLY=<regex on the section names> SKIP=<regex>)
source "$(dirname "$0")/lib.sh"
RUNS="${RUNS:-40}"; PLANS="${PLANS:-0}"
PAGE="${PAGE:-$(psql -Atc "select id from pages where fb_page_id = '1111222233334444'" "$BENCH_DB")}"
CONTEST="${CONTEST:-$(psql -Atc "select coalesce(min(id), 0) from contests where page_id = $PAGE" "$BENCH_DB")}"
# A contact with a long timeline, picked once (not part of the timed queries).
CONTACT="${CONTACT:-$(psql -Atc "select contact_id from contact_metrics where page_id = $PAGE order by comments desc limit 1" "$BENCH_DB")}"
# The list's segment filter is sent with the segment's id (db::crm::list).
CAMPAIGNER=$(psql -Atc "select coalesce(min(id), 0) from segments where page_id = $PAGE and key = 'campaigner'" "$BENCH_DB")
SIDE_LINER=$(psql -Atc "select coalesce(min(id), 0) from segments where page_id = $PAGE and key = 'side_liner'" "$BENCH_DB")
machine
echo "db=$BENCH_DB page=$PAGE contest=$CONTEST contact=$CONTACT runs=$RUNS; $(psql -Atc "select (select count(*) from contacts) || ' contacts, ' || (select count(*) from activities) || ' activities'" "$BENCH_DB")"
WORK=$(mktemp -d /tmp/bench_p4.XXXX); trap 'rm -rf "$WORK"' EXIT
# Split the file into one script per section.
awk -v dir="$WORK" '/^-- name: /{n++; f=sprintf("%s/q%02d.sql", dir, n); sub(/^-- name: /, ""); print > (f ".name"); next} n{print >> f}' "$BENCH_DIR/p4_queries.sql"
printf '%-80s %9s %9s %9s\n' query p50_ms p95_ms max_ms
for q in "$WORK"/q*.sql; do
  name=$(cat "$q.name")
  if [ -n "${ONLY:-}" ] && ! grep -qE "$ONLY" <<< "$name"; then continue; fi
  if [ -n "${SKIP:-}" ] && grep -qE "$SKIP" <<< "$name"; then continue; fi
  if [ "$PLANS" = 1 ]; then
    echo "--- $name"
    { echo "EXPLAIN (ANALYZE, BUFFERS)"; cat "$q"; } | psql -q -v page="$PAGE" -v contest="$CONTEST" -v contact="$CONTACT" \
      -v campaigner="$CAMPAIGNER" -v side_liner="$SIDE_LINER" "$BENCH_DB" | sed '/^$/d'
  fi
  ( cd "$WORK" && pgbench -n -c 1 -t "$RUNS" -D page="$PAGE" -D contest="$CONTEST" -D contact="$CONTACT" \
      -D campaigner="$CAMPAIGNER" -D side_liner="$SIDE_LINER" -f "$q" -l --log-prefix="$WORK/log" "$BENCH_DB" > "$WORK/out" 2>&1 ) || { cat "$WORK/out"; exit 1; }
  awk '{print $3 / 1000}' "$WORK"/log.* | sort -g > "$WORK/lat"; rm -f "$WORK"/log.*
  python3 - "$WORK/lat" "$name" <<'PY'
import math, sys
v = [float(x) for x in open(sys.argv[1])]
p = lambda q: v[max(0, math.ceil(q * len(v)) - 1)]
print(f"{sys.argv[2][:80]:<80} {p(0.5):9.1f} {p(0.95):9.1f} {v[-1]:9.1f}")
PY
done
