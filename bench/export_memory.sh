#!/usr/bin/env bash
# Peak memory and wall time of `fanfare export` (release build) over 1M contacts.
#
# Usage: bench/export_memory.sh [ROWS] [FORMAT]     (defaults: 1000000 csv)
# Needs: Postgres on 127.0.0.1:5432 (trust auth, user postgres; or PGSERVER_URL),
#        psql, /usr/bin/time (GNU), and target/release/fanfare
#        (`cargo build --release --bin fanfare`).
#
# A fresh database is created with `fanfare migrate`, one page is inserted, and
# ROWS contacts are seeded with set-based SQL (generate_series): every contact
# has metrics, half have marketing consent (so demographics are exported for
# them), a third belong to a persona segment. The export writes to /dev/null
# under `/usr/bin/time -v`; the script prints the peak RSS and wall time, and
# drops the database at the end.
set -euo pipefail

ROWS="${1:-1000000}"
FORMAT="${2:-csv}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${FANFARE_BIN:-$ROOT/target/release/fanfare}"
SERVER="${PGSERVER_URL:-postgres://postgres@127.0.0.1:5432}"
DB="fanfare_bench_export_$$"
URL="$SERVER/$DB"

[ -x "$BIN" ] || { echo "missing $BIN: run cargo build --release --bin fanfare" >&2; exit 1; }
cleanup() { psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT

export FANFARE__LOG__LEVEL=warn FANFARE__SANDBOX__DEMO=false DATABASE_URL="$URL"
cd "$ROOT"
"$BIN" migrate >/dev/null

echo "seeding $ROWS contacts into $DB ..." >&2
seed_start=$(date +%s.%N)
psql -q -v ON_ERROR_STOP=1 "$URL" <<SQL
SET synchronous_commit = off;
INSERT INTO pages (fb_page_id, name) VALUES ('bench-page', 'Bench page');
INSERT INTO contacts (page_id, display_name, email, postal_code, country, locale, age_min, age_max,
                      friends_count, first_source, first_seen_at, last_seen_at)
SELECT p.id, 'Fan ' || g, 'fan' || g || '@example.com', lpad((g % 100000)::text, 5, '0'),
       (ARRAY['US','DE','FR','GB','NL'])[1 + g % 5], 'en_US', 18, 24, g % 900,
       (ARRAY['fan_page','login','comment','referral'])[1 + g % 4],
       now() - (g % 365) * interval '1 day', now()
FROM generate_series(1, $ROWS) g, pages p;
-- Every contact already has a metrics row (and a queued refresh) from the
-- contacts trigger; fill in the figures instead.
UPDATE contact_metrics m SET page_views = 1 + c.id % 7, entries = c.id % 2, votes_cast = c.id % 3,
       votes_received = c.id % 5, referral_clicks = c.id % 4, referral_conversions = c.id % 2,
       shares = c.id % 3, comments = c.id % 6, points = c.id % 120,
       sentiment_sum = (c.id % 10) / 10.0, sentiment_count = 1, marketing_opt_in = c.id % 2 = 0
FROM contacts c WHERE c.id = m.contact_id;
DELETE FROM contact_metrics_dirty;
INSERT INTO segments (page_id, kind, key, name, rule)
SELECT id, 'persona', k, k, '{"field": "entries", "op": "gte", "value": 1}'::jsonb
FROM pages, unnest(ARRAY['campaigner', 'assistant', 'side_liner']) k;
INSERT INTO segment_memberships (segment_id, contact_id)
SELECT s.id, c.id FROM contacts c JOIN segments s
  ON s.key = (ARRAY['campaigner', 'assistant', 'side_liner'])[1 + c.id % 3]
WHERE c.id % 3 = 0;
ANALYZE;
SQL
seed_end=$(date +%s.%N)
echo "seeded in $(echo "$seed_end - $seed_start" | bc) s" >&2

TIMING="$(mktemp)"
ERR="$(mktemp)"
/usr/bin/time -v -o "$TIMING" "$BIN" export --page bench-page --format "$FORMAT" --output /dev/null 2>"$ERR"
# The command's own summary ("exported N contacts of ..."), as a check on the row count.
grep -o 'exported [0-9]* contacts' "$ERR" || { echo "export did not report its count:" >&2; cat "$ERR" >&2; exit 1; }
rm -f "$ERR"
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TIMING")
wall=$(awk -F': ' '/Elapsed \(wall clock\) time/ {print $2}' "$TIMING")
cpu_user=$(awk -F': ' '/User time/ {print $2}' "$TIMING")
rm -f "$TIMING"
echo "rows=$ROWS format=$FORMAT peak_rss_kb=$rss_kb peak_rss_mb=$((rss_kb / 1024)) wall=$wall user_s=$cpu_user"
echo "machine: nproc=$(nproc) arch=$(uname -m) date=$(date -u +%Y-%m-%d)"
