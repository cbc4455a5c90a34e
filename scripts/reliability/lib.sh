# Shared helpers for the reliability scripts (sourced, not run).
# Needs: psql, curl, python3; Postgres on 127.0.0.1:5432 with trust auth.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/scripts/reliability"
PGURL_BASE="${PGURL_BASE:-postgres://postgres@127.0.0.1:5432}"
BIN="${FANFARE_BIN:-}"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# The release binary, built unless it is newer than every source file.
ensure_binary() {
  if [[ -n "$BIN" ]]; then return; fi
  BIN="$ROOT/target/release/fanfare"
  local newest
  newest=$(find "$ROOT/src" "$ROOT/migrations" "$ROOT/config" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" \
    -type f -newer "$BIN" 2>/dev/null | head -1 || true)
  if [[ ! -x "$BIN" || -n "$newest" ]]; then
    log "building the release binary"
    (cd "$ROOT" && cargo build --release --bin fanfare)
  fi
}

# fresh_db NAME: drops and recreates an empty database, migrated.
fresh_db() {
  local name="$1"
  psql -X -q -d "$PGURL_BASE/postgres" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
  psql -X -q -d "$PGURL_BASE/postgres" -c "CREATE DATABASE $name" >/dev/null
  DATABASE_URL="$PGURL_BASE/$name" "$BIN" migrate >/dev/null
}

q() { psql -X -q -At -d "$DB_URL" -c "$1"; }

# wait_http URL SECONDS: until URL answers 200.
wait_http() {
  local url="$1" secs="${2:-60}" i
  for ((i = 0; i < secs * 10; i++)); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")" == 200 ]]; then return 0; fi
    sleep 0.1
  done
  log "timed out waiting for $url"
  return 1
}

# wait_sql SQL SECONDS: until the query answers t.
wait_sql() {
  local sql="$1" secs="${2:-60}" i
  for ((i = 0; i < secs * 5; i++)); do
    if [[ "$(q "$sql" 2>/dev/null || true)" == t ]]; then return 0; fi
    sleep 0.2
  done
  log "timed out waiting for: $sql"
  return 1
}

# Common environment of every fanfare process the scripts start.
fanfare_env() {
  export FANFARE__DATABASE__URL="$DB_URL"
  export FANFARE__DATABASE__CREATE_IF_MISSING=false
  export FANFARE__SANDBOX__FANS=200
  export FANFARE__SERVER__HTTP_WORKERS=2
  export FANFARE__LOG__FORMAT=json
  export RUST_LOG="${RUST_LOG:-warn,fanfare=info}"
}

machine() { echo "nproc=$(nproc) arch=$(uname -m) date=$(date -u +%Y-%m-%dT%H:%MZ)"; }
