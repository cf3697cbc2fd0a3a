#!/usr/bin/env bash
# External checkers nobody here wrote, against a live server on each backend:
# ../shared/tools/fhir-client-check (real FHIR clients over HTTP), all its groups, on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/debug/kangqiao
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

run_server() { # $1 database, $2 port
  "$BIN" serve --database "$1" --port "$2" >"$WORK/server-$2.log" 2>&1 &
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$2/health" >/dev/null && return 0
    sleep 0.2
  done
  echo "server on $1 did not start"; cat "$WORK/server-$2.log"; return 1
}

status=0
check() { # $1 label, $2 database, $3 port
  run_server "$2" "$3"
  echo "-- fhir-client-check on $1"
  ../shared/tools/fhir-client-check "http://127.0.0.1:$3/fhir" || status=1
}

check sqlite "sqlite:$WORK/kangqiao.sqlite" 18080
if [ -n "${KANGQIAO_TEST_POSTGRES_URL:-}" ]; then
  check postgres "$KANGQIAO_TEST_POSTGRES_URL" 18081
fi
exit $status
