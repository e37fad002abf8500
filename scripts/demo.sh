#!/usr/bin/env bash
# `make demo [SCENARIO=file] [SERVE=0]`: start everything, load the scenario into the local AWS (moto) and
# GitHub (emulator) peers, discover through the real workers, print a summary; then serve (SERVE=1) or exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCENARIO="${1:-scenarios/sample-company.yaml}"
SERVE="${2:-1}"
PY=.venv/bin/python
[ -f "$SCENARIO" ] || { echo "no scenario file $SCENARIO" >&2; exit 2; }

scripts/roster.sh up
TENANT="$($PY -c 'import sys; from peers.scenario import load_scenario; print(load_scenario(sys.argv[1])["name"])' "$SCENARIO")"
$PY manage.py load_scenario "$SCENARIO"
echo
$PY manage.py discover "$TENANT" --wait
echo
$PY manage.py catalog_summary "$TENANT" --scenario "$SCENARIO"
TOKEN="$($PY manage.py api_token "$TENANT" admin --role admin)"
# The admin's password: generated once, kept in .run/admin.password (0600), never a well-known one.
[ -s .run/admin.password ] || (umask 077 && $PY -c "import secrets; print(secrets.token_urlsafe(12))" > .run/admin.password)
ROSTER_DEMO_PASSWORD="$(cat .run/admin.password)" $PY manage.py shell -c "
import os
from portal.tenancy import tenant_scope
from django.contrib.auth import get_user_model
with tenant_scope('$TENANT'):
    u = get_user_model().objects.get(username='admin'); u.set_password(os.environ['ROSTER_DEMO_PASSWORD']); u.save()
" >/dev/null
PORT="${PORT:-8000}"
# The emulator sends signed webhooks to this Roster as its state changes: a push shows in the catalog at once.
$PY manage.py emulator_webhooks "$TENANT" --base-url "http://$TENANT.localhost:$PORT" >/dev/null
GITHUB_URL="$(grep '^ROSTER_GITHUB_EMULATOR_URL=' .run/env | cut -d= -f2-)"
# The Slack app, installed into the local Slack peer's workspace by hand (slack_connect), as an operator would.
SLACK_PEER="$(grep '^ROSTER_SLACK_API_URL=' .run/env | cut -d= -f2- | sed 's#/api/$##')"
SLACK_BOT_TOKEN="$($PY -m peers.slack_peer.exchange --peer "$SLACK_PEER" workspace --team T0DEMO001 --name "$TENANT")" \
  $PY manage.py slack_connect "$TENANT" T0DEMO001 >/dev/null
ASK="$($PY manage.py shell -c "
from portal.tenancy import tenant_scope
from catalog.models import Service
with tenant_scope('$TENANT'):
    s = Service.objects.filter(ownership_status='owned', hidden=False).exclude(resources=None).order_by('name').first()
    print(s.name if s else '')
" 2>/dev/null | tail -1)"
cat <<MSG

  Console: http://$TENANT.localhost:$PORT/   (sign in as admin / $(cat .run/admin.password))
  Admin:  http://$TENANT.localhost:$PORT/admin/
  API:    curl -H "Authorization: Token $TOKEN" http://$TENANT.localhost:$PORT/api/v1/services/
  Docs:   http://$TENANT.localhost:$PORT/api/v1/docs/
  Rescan: .venv/bin/python manage.py discover $TENANT --wait
  Push:   curl -X POST $GITHUB_URL/_emulator/push -H 'Content-Type: application/json' \\
            -d '{"repo": "<org>/<repo>", "files": {".github/CODEOWNERS": "* @<org>/<team>\\n"}}'
          (the GitHub emulator sends the signed push webhook; the new owner shows within seconds)
MSG
if [ -n "$ASK" ]; then
  echo
  echo "  Slack (the local Slack peer, signed as Slack signs):"
  $PY -m peers.slack_peer.exchange --peer "$SLACK_PEER" ask --roster "http://localhost:$PORT" --team T0DEMO001 \
    who owns "$ASK" | sed 's/^/    /' || echo "    (the Slack exchange did not answer; see .run/log/slack.log)"
fi
echo
if [ "$SERVE" = "0" ]; then
  echo "  Everything keeps running in the background; 'make stop' stops it."
  exit 0
fi
echo "  Serving. Ctrl-C stops everything."
trap 'scripts/roster.sh stop; exit 0' INT TERM
while kill -0 "$(cat .run/web.pid)" 2>/dev/null; do sleep 1; done
scripts/roster.sh stop
