#!/usr/bin/env bash
# Where P1's CPU goes: runs P1's load for DURATION seconds and, over a 5 s window
# in the middle, reads each process's CPU time from /proc (fanfare serve, wrk,
# every Postgres backend with the last statement it ran) and divides it by the
# deliveries stored in that window: microseconds of CPU per delivery, per process.
#   usage: bench/p1_cpu_split.sh   (env: DURATION=12 CONNS=64 SERVE_ARGS=...)
source "$(dirname "$0")/lib.sh"
DURATION="${DURATION:-12}"; CONNS="${CONNS:-64}"; SERVE_ARGS="${SERVE_ARGS:-}"
machine
psql -qc "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" postgres
WORK=$(mktemp -d /tmp/bench_p1c.XXXX)
trap 'stop_serve; rm -rf "$WORK"' EXIT
# shellcheck disable=SC2086
start_serve $SERVE_ARGS
python3 "$BENCH_DIR/gen_webhooks.py" 300000 "$WORK/bodies.txt" --tag "c$$"
BODIES="$WORK/bodies.txt" WRK_THREADS=2 wrk -t 2 -c "$CONNS" -d "${DURATION}s" \
  -s "$BENCH_DIR/webhook.lua" "$BENCH_URL" > "$WORK/wrk.txt" 2>&1 &
WRK=$!
sleep 3
ticks() { for p in $SERVE_PID $(pgrep -x wrk) $(pgrep -u postgres postgres); do
  echo "$p $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null)"; done; }
ticks > "$WORK/t1"; n1=$(psql -Atc "select count(*) from webhook_deliveries" "$BENCH_DB")
sleep 5
ticks > "$WORK/t2"; n2=$(psql -Atc "select count(*) from webhook_deliveries" "$BENCH_DB")
n=$((n2 - n1)); hz=$(getconf CLK_TCK)
echo "deliveries stored in the 5 s window: $n"
join "$WORK/t1" "$WORK/t2" | while read -r p a b; do
  d=$((b - a)); [ "$d" -gt 2 ] || continue
  what=$(tr '\0' ' ' < "/proc/$p/cmdline" | cut -c1-50)
  q=$(psql -Atc "select left(query, 50) from pg_stat_activity where pid = $p" postgres 2>/dev/null || true)
  python3 -c "print(f'{$d*1e6/$hz/$n:7.1f} us/delivery  {$d*1000/$hz:6.0f} ms  $what| $q')"
done | sort -rn
wait $WRK
echo "load: $(grep Requests/sec "$WORK/wrk.txt" | awk '{print $2}') req/s"
