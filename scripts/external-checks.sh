#!/usr/bin/env bash
# External checkers nobody here wrote, against a live server on each backend:
# ../shared/tools/fhir-client-check (real FHIR clients over HTTP), all its groups, on SQLite and PostgreSQL,
# authenticated as a system client registered with `kangqiao client create` (token from `kangqiao token`).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/debug/kangqiao
WORK=$(mktemp -d)
# A master key of this run only, shared by the server and the client/token commands.
export KANGQIAO_MASTER_KEY=$(python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')
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
  local client="client-check-$3"
  "$BIN" client create --name "$client" --scopes "system/*.cruds" --database "$2" >/dev/null
  local token
  token=$("$BIN" token --client "$client" --database "$2")
  # Without the token the server answers nobody.
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$3/fhir/Patient")
  if [ "$code" != "401" ]; then echo "FAIL unauthenticated search answered $code, not 401"; status=1; fi
  echo "-- fhir-client-check on $1"
  ../shared/tools/fhir-client-check "http://127.0.0.1:$3/fhir" --token "$token" || status=1
}

check sqlite "sqlite:$WORK/kangqiao.sqlite" 18080
if [ -n "${KANGQIAO_TEST_POSTGRES_URL:-}" ]; then
  # A schema of this run only, dropped at the end: runs on one database never meet.
  schema="kq_checks_$$_$RANDOM"
  sep='?'; case "$KANGQIAO_TEST_POSTGRES_URL" in *\?*) sep='&';; esac
  check postgres "${KANGQIAO_TEST_POSTGRES_URL}${sep}schema=${schema}" 18081
  PGPASSWORD=kangqiao psql "$KANGQIAO_TEST_POSTGRES_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
fi
exit $status
