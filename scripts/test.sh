#!/usr/bin/env bash
# `make test`: install what is missing, start PostgreSQL and Redis under .run/ if they are not already
# up, run the whole suite, and stop again only what this script started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/.run"
cd "$ROOT"

pg_was_up=0; redis_was_up=0
[ -f "$RUN/pg/data/postmaster.pid" ] && pg_was_up=1
[ -f "$RUN/redis.pid" ] && kill -0 "$(cat "$RUN/redis.pid")" 2>/dev/null && redis_was_up=1

# (also writes .run/env: the database and Redis passwords the suite and its workers connect with)
scripts/roster.sh services
# Debian's Chromium for the console's browser tests (tests/console), when missing.
scripts/roster.sh browser

cleanup() {
  if [ "$pg_was_up$redis_was_up" = "00" ]; then scripts/roster.sh stop; fi
}
trap cleanup EXIT

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
# pytest exits 5 when it collected nothing: that is a failure for us, not a pass.
exit $status
