#!/usr/bin/env bash
# P2 fan page: POST /tab with valid signed_requests rendering the open (demo)
# contest, against GET /healthz of the same process, back to back, ROUNDS times.
# ratio = /tab req/s / /healthz req/s; the median ratio is the figure.
#   usage: bench/p2_tab.sh   (env: ROUNDS=3 DURATION=10 CONNS=64 THREADS=2 FANS=1000 ANON=)
source "$(dirname "$0")/lib.sh"
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-10}"; CONNS="${CONNS:-64}"; THREADS="${THREADS:-2}"
FANS="${FANS:-1000}"
machine
echo "rounds=$ROUNDS duration=${DURATION}s connections=$CONNS fans=$FANS anonymous=${ANON:-no}"
psql -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" postgres
trap stop_serve EXIT
start_serve
wait_page
WORK=$(mktemp -d /tmp/bench_p2.XXXX)
python3 "$BENCH_DIR/gen_signed_requests.py" "$FANS" "$WORK/sr.txt" ${ANON:+--anonymous}
# The demo contest must render.
code=$(curl -s -o "$WORK/page.html" -w '%{http_code}' -X POST --data "$(head -1 "$WORK/sr.txt")" "$BENCH_URL/tab")
grep -q 'name="signed_request"' "$WORK/page.html" || { echo "POST /tab did not render a contest (HTTP $code)"; exit 1; }
echo "POST /tab renders: HTTP $code, $(wc -c < "$WORK/page.html") bytes, title: $(grep -o '<title>[^<]*' "$WORK/page.html" | head -1 | cut -c8-)"
# warm-up: every fan once
BODIES="$WORK/sr.txt" wrk -t "$THREADS" -c "$CONNS" -d 3s -s "$BENCH_DIR/tab.lua" "$BENCH_URL" > "$WORK/warm.txt"
requests() { grep -oE '^ +[0-9]+ requests in' "$1" | grep -oE '[0-9]+'; }
TAB_REQUESTS=$(( 1 + $(requests "$WORK/warm.txt") ))
for r in $(seq 1 "$ROUNDS"); do
  wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --latency "$BENCH_URL/healthz" > "$WORK/h$r.txt"
  read -r hrps hp50 hp99 hbad < <(wrk_summary "$WORK/h$r.txt")
  BODIES="$WORK/sr.txt" wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --latency -s "$BENCH_DIR/tab.lua" "$BENCH_URL" > "$WORK/t$r.txt"
  read -r trps tp50 tp99 tbad < <(wrk_summary "$WORK/t$r.txt")
  ratio=$(python3 -c "print(f'{$trps/$hrps:.3f}')")
  echo "round $r: /healthz req/s=$hrps p50=${hp50}ms p99=${hp99}ms non2xx=$hbad | POST /tab req/s=$trps p50=${tp50}ms p99=${tp99}ms non2xx=$tbad | ratio=$ratio"
  echo "$ratio" >> "$WORK/ratios"
  TAB_REQUESTS=$(( TAB_REQUESTS + $(requests "$WORK/t$r.txt") ))
done
echo "median ratio: $(median < "$WORK/ratios")"
# Views must not be dropped: a graceful stop stores the buffered ones. Every
# anonymous request is a new browser (one view each); an authorised one is one
# view per fan and day (and `NON2XX` must stay 0 for this count to hold).
stop_serve
views=$(psql -Atc "SELECT count(*) FROM activities WHERE kind = 'page_view'" "$BENCH_DB")
if [ -n "${ANON:-}" ]; then expected="at least $TAB_REQUESTS: wrk counts only answered requests"; else expected="$FANS, one per fan"; fi
echo "POST /tab requests: $TAB_REQUESTS; page_view activities stored: $views (expected: $expected)"
rm -rf "$WORK"
