# Shared helpers for the bench scripts (sourced).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
PGHOST="${PGHOST:-127.0.0.1}"; PGPORT="${PGPORT:-5432}"; PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER
FANFARE="${FANFARE:-$ROOT/target/release/fanfare}"
BENCH_PORT="${BENCH_PORT:-18080}"
BENCH_DB="${BENCH_DB:-fanfare_bench}"
BENCH_URL="http://127.0.0.1:$BENCH_PORT"
export FANFARE__DATABASE__URL="postgres://postgres@127.0.0.1:5432/$BENCH_DB"
export FANFARE__SERVER__PORT="$BENCH_PORT"
export FANFARE__LOG__LEVEL="${FANFARE__LOG__LEVEL:-warn}"
SERVE_PID=""

machine() {
  echo "machine: nproc=$(nproc) arch=$(uname -m) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\" mem=$(free -g | awk '/Mem/{print $2}')GiB date=$(date -u +%FT%TZ)"
  echo "build: $FANFARE ($(file -b "$FANFARE" | cut -d, -f1)); postgres: $(psql -Atc 'show server_version' postgres)"
}

wait_http() { # url
  for _ in $(seq 1 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "timed out waiting for $1" >&2; return 1
}

start_serve() { # extra args...
  "$FANFARE" serve "$@" > "/tmp/bench_serve_$BENCH_PORT.log" 2>&1 &
  SERVE_PID=$!
  wait_http "$BENCH_URL/healthz"
}

stop_serve() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""; fi
}

hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }

median() { sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }

# wrk output -> "rps p50_ms p99_ms non2xx"
wrk_summary() {
  python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups(); v = float(v)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = ms(re.search(r"\s50%\s+(\S+)", t).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", t).group(1))
m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {m.group(1) if m else 0}")
PY
}

# The sandbox demo page is installed shortly after the first start.
wait_page() {
  for _ in $(seq 1 300); do
    [ "$(psql -Atc "select count(*) from pages where fb_page_id = '1111222233334444'" "$BENCH_DB" 2>/dev/null)" = 1 ] && return 0
    sleep 0.2
  done
  echo "demo page not installed" >&2; return 1
}

# Waits, in one database session, until the SQL condition $2 is true in database
# $1 (checked every 50 ms, each check with a fresh snapshot), for at most $3
# seconds (default 3600). One session, not a psql per check: a psql started
# five times a second (Debian's perl wrapper, then a new backend) took about 6%
# of a 2-core machine during a P3 drain.
wait_until() { # db condition [timeout_s]
  psql -Atq -v ON_ERROR_STOP=1 "$1" <<SQL
DO \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  WHILE NOT ($2) AND clock_timestamp() < t0 + interval '${3:-3600} seconds' LOOP
    PERFORM pg_sleep(0.05);
  END LOOP;
END
\$\$;
SQL
}
