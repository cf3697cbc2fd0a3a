#!/usr/bin/env bash
# Installs and starts what the tests need, then prints `export` lines for the caller to eval:
#   PostgreSQL 15 from Debian packages (installed when missing, started when down, a test database
#   created), libsqlite3-dev for the embedded backend, the Python venv of the external checkers, and
#   zbarimg and rsvg-convert for the QR code tests.
# Idempotent: a second run only checks. Runs as root (CI) or with passwordless sudo.
set -euo pipefail
log() { echo "[test-setup] $*" >&2; }
SUDO=""
AS_POSTGRES="runuser -u postgres --"
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; AS_POSTGRES="sudo -u postgres"; fi

need_apt=()
command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /usr/lib/postgresql/15 ] || need_apt+=(postgresql-15 postgresql-client-15)
[ -f /usr/include/sqlite3.h ] || need_apt+=(libsqlite3-dev)
python3 -m venv --help >/dev/null 2>&1 || need_apt+=(python3-venv)
# The web pages are tested in headless Chromium (scripts/browser-checks.sh).
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# The QR tests read what our encoder draws with a real decoder; SVGs are rasterized by librsvg first.
command -v zbarimg >/dev/null 2>&1 || need_apt+=(zbar-tools)
command -v rsvg-convert >/dev/null 2>&1 || need_apt+=(librsvg2-bin)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
fi

if ! pg_lsclusters -h 2>/dev/null | awk '$1=="15" && $2=="main"' | grep -q .; then
  log "creating cluster 15/main"
  $SUDO pg_createcluster 15 main >&2
fi
if ! pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
  log "starting PostgreSQL 15"
  $SUDO pg_ctlcluster 15 main start >&2
fi
PORT=$(pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $3}')
for _ in $(seq 1 30); do
  $AS_POSTGRES psql -p "$PORT" -qAtc 'select 1' >/dev/null 2>&1 && break
  sleep 1
done
# The suites run in parallel, each PostgreSQL test with a pool of its own: the default 100
# connections run out (a test then waits 10 s and fails), so allow more.
MAX_CONN=$($AS_POSTGRES psql -p "$PORT" -qAtc "show max_connections")
if [ "${MAX_CONN:-0}" -lt 400 ]; then
  log "raising max_connections from $MAX_CONN to 400"
  $AS_POSTGRES psql -p "$PORT" -qc "alter system set max_connections = 400" >&2
  $SUDO pg_ctlcluster 15 main restart >&2
  for _ in $(seq 1 30); do
    $AS_POSTGRES psql -p "$PORT" -qAtc 'select 1' >/dev/null 2>&1 && break
    sleep 1
  done
fi
DB_USER=kangqiao
DB_PASS=kangqiao
DB_NAME=kangqiao_test
$AS_POSTGRES psql -p "$PORT" -qAtc "select 1 from pg_roles where rolname='$DB_USER'" | grep -q 1 \
  || $AS_POSTGRES psql -p "$PORT" -qc "create role $DB_USER login createdb password '$DB_PASS'" >&2
$AS_POSTGRES psql -p "$PORT" -qAtc "select 1 from pg_database where datname='$DB_NAME'" | grep -q 1 \
  || $AS_POSTGRES psql -p "$PORT" -qc "create database $DB_NAME owner $DB_USER" >&2

TOOLS_VENV=$(../shared/tools/setup | tail -n 1)
BROWSER_VENV=${KANGQIAO_BROWSER_VENV:-$HOME/.cache/kangqiao-browser-venv}
if ! "$BROWSER_VENV/bin/python" -c "import selenium" >/dev/null 2>&1; then
  log "creating the browser-test venv at $BROWSER_VENV (selenium)"
  python3 -m venv "$BROWSER_VENV" >&2
  "$BROWSER_VENV/bin/pip" install -q "selenium>=4.20,<5" >&2
fi
log "PostgreSQL on port $PORT, tools venv at $TOOLS_VENV"
echo "export KANGQIAO_TEST_POSTGRES_URL=postgres://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB_NAME"
echo "export KANGQIAO_TOOLS_VENV=$TOOLS_VENV"
echo "export KANGQIAO_BROWSER_VENV=$BROWSER_VENV"
