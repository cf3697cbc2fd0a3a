#!/usr/bin/env bash
# The web pages in headless Chromium (Debian's chromium and chromedriver, Selenium from PyPI in a venv
# of our own): a small demo region is created, `kangqiao serve` runs on it, and the sign-in page is
# driven as a person would (scripts/browser/login_check.py).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${KANGQIAO_BROWSER_VENV:-$HOME/.cache/kangqiao-browser-venv}
if [ ! -x "$VENV/bin/python" ] || ! command -v chromedriver >/dev/null; then
  if [ "${CI:-}" = "true" ]; then echo "browser checks: chromium, chromedriver or the Selenium venv is missing" >&2; exit 1; fi
  echo "browser checks skipped: run scripts/test-setup.sh first" >&2; exit 0
fi
BIN=.build/debug/kangqiao
[ -x "$BIN" ] || swift build --product kangqiao
DIR=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
export KANGQIAO_MASTER_KEY_FILE="$DIR/master.key"
cleanup() { [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
"$BIN" demo --database "sqlite:$DIR/kq.sqlite" --residents 60 > "$DIR/logins.txt"
"$BIN" serve --database "sqlite:$DIR/kq.sqlite" --port "$PORT" > "$DIR/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.5; done
"$VENV/bin/python" scripts/browser/login_check.py "http://127.0.0.1:$PORT" "$DIR/logins.txt"
