#!/usr/bin/env bash
# Start and stop Roster's local processes under .run/ (PostgreSQL, Redis, moto, the GitHub emulator,
# Celery workers, the web server). Nothing outside the checkout is touched except apt installs of
# missing PostgreSQL/Redis packages. Usage: scripts/roster.sh <command> (see the case at the bottom).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/.run"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
PG_PORT="${ROSTER_DB_PORT:-54329}"
REDIS_PORT="${ROSTER_REDIS_PORT:-63799}"
MOTO_PORT="${ROSTER_MOTO_PORT:-45010}"
GITHUB_PORT="${ROSTER_GITHUB_PORT:-45011}"
PORT="${PORT:-8000}"
WORKERS="${ROSTER_WORKERS:-2}"
mkdir -p "$RUN/log"

log() { printf '\033[1m[roster]\033[0m %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

pg_bin() {
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/1[6-9]/bin /usr/pgsql-15/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return
  return 1
}

install_system_packages() {
  local need=()
  pg_bin >/dev/null 2>&1 || need+=(postgresql-15 postgresql-contrib-15)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v node >/dev/null 2>&1 || need+=(nodejs npm)
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing ${need[*]} with apt-get"
  as_root apt-get update -qq
  # postgresql-contrib-15 is folded into postgresql-15 on newer Debian; retry without it.
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null \
    || DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]/postgresql-contrib-15/}" >/dev/null
}

python_env() {
  if [ ! -x "$PY" ]; then
    log "creating .venv"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha"
  local want
  want="$(cat "$ROOT/requirements.txt" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing Python dependencies (requirements.txt)"
    # (grep drops a machine-wide pip.conf's notes about absent local indexes; real errors still show)
    "$PY" -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored: it is neither" || true
    "$PY" -m pip install -q -r "$ROOT/requirements.txt" 2>&1 | grep -v "is ignored: it is neither" || true
    "$PY" -c "import django, celery, django_tenants" || { log "Python dependencies failed to install"; exit 1; }
    echo "$want" > "$stamp"
  fi
}

node_env() {
  local pkg="$ROOT/peers/github_emulator"
  if [ -f "$pkg/package-lock.json" ] && [ ! -d "$pkg/node_modules/@octokit/graphql-schema" ]; then
    log "installing GitHub's published schemas (npm ci)"
    (cd "$pkg" && npm ci --silent --no-audit --no-fund >/dev/null)
  fi
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the unprivileged 'postgres' user.
# The checkout may sit below a directory only root can enter (mktemp -d makes mode 700), so the server
# keeps one capability, CAP_DAC_READ_SEARCH (traverse and read), instead of us loosening permissions
# outside the checkout.
pg_user_run() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    if command -v setpriv >/dev/null 2>&1; then
      setpriv --reuid=postgres --regid=postgres --init-groups \
        --inh-caps=+dac_read_search --ambient-caps=+dac_read_search -- "$@"
    else
      runuser -u postgres -- "$@"
    fi
  else
    "$@"
  fi
}

start_postgres() {
  local bin; bin="$(pg_bin)"
  local data="$RUN/pg/data"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising PostgreSQL in .run/pg"
    mkdir -p "$RUN/pg"
    [ "$(id -u)" = 0 ] && { pg_user_run true; chown -R postgres "$RUN/pg"; chmod 755 "$RUN"; }
    pg_user_run "$bin/initdb" -D "$data" -U roster --auth=trust -E UTF8 --locale=C >"$RUN/log/initdb.log"
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$RUN/pg'
max_connections = 200
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  if pg_user_run "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then return 0; fi
  [ "$(id -u)" = 0 ] && chown -R postgres "$RUN/pg"
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  pg_user_run "$bin/pg_ctl" -D "$data" -l "$RUN/pg/postgres.log" -w -t 60 start >/dev/null
  cp "$data/postmaster.pid" "$RUN/postgres.pid" 2>/dev/null || true
  for db in roster; do
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U roster -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
      || "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U roster "$db"
  done
}

stop_postgres() {
  local bin; bin="$(pg_bin 2>/dev/null)" || return 0
  [ -f "$RUN/pg/data/PG_VERSION" ] || return 0
  if pg_user_run "$bin/pg_ctl" -D "$RUN/pg/data" status >/dev/null 2>&1; then
    log "stopping PostgreSQL"
    pg_user_run "$bin/pg_ctl" -D "$RUN/pg/data" -m fast -w stop >/dev/null || true
  fi
  rm -f "$RUN/postgres.pid"
}

start_redis() {
  if [ -f "$RUN/redis.pid" ] && kill -0 "$(cat "$RUN/redis.pid")" 2>/dev/null; then return 0; fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --pidfile "$RUN/redis.pid" \
    --dir "$RUN" --save "" --appendonly no --logfile "$RUN/log/redis.log"
  for _ in $(seq 50); do [ -f "$RUN/redis.pid" ] && break; sleep 0.1; done
}

# start_bg NAME CMD...: run CMD in the background with its pid in .run/NAME.pid and log in .run/log/NAME.log
start_bg() {
  local name="$1"; shift
  if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then return 0; fi
  (cd "$ROOT" && exec setsid "$@" >"$RUN/log/$name.log" 2>&1 < /dev/null) &
  echo $! > "$RUN/$name.pid"
}

stop_bg() {
  local name="$1" pidfile="$RUN/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

wait_http() {  # wait_http URL NAME
  for _ in $(seq 150); do
    "$PY" -c "import sys,urllib.request;urllib.request.urlopen(sys.argv[1],timeout=2)" "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  log "$2 did not come up; see .run/log/$2.log"; return 1
}

write_env() {
  [ -f "$RUN/secret.key" ] || "$PY" -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" > "$RUN/secret.key"
  [ -f "$RUN/django.key" ] || "$PY" -c "import secrets; print(secrets.token_urlsafe(50))" > "$RUN/django.key"
  chmod 600 "$RUN/secret.key" "$RUN/django.key"
  cat > "$RUN/env" <<ENV
# Written by scripts/roster.sh; read by manage.py, celery_app.py and the web server.
ROSTER_DB_HOST=127.0.0.1
ROSTER_DB_PORT=$PG_PORT
ROSTER_DB_USER=roster
ROSTER_DB_NAME=roster
ROSTER_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
ROSTER_ENCRYPTION_KEY=$(cat "$RUN/secret.key")
ROSTER_SECRET_KEY=$(cat "$RUN/django.key")
ROSTER_AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
ROSTER_GITHUB_EMULATOR_URL=http://127.0.0.1:$GITHUB_PORT
ROSTER_DEBUG=1
AWS_ACCESS_KEY_ID=roster-local
AWS_SECRET_ACCESS_KEY=roster-local
AWS_DEFAULT_REGION=us-east-1
ENV
}

cmd_setup() { install_system_packages; python_env; node_env; }

cmd_services() { cmd_setup; start_postgres; start_redis; }

cmd_peers() {
  start_bg moto "$PY" -m peers.moto_server --port "$MOTO_PORT"
  start_bg github "$PY" -m peers.github_emulator --port "$GITHUB_PORT" --token roster-demo-token
  wait_http "http://127.0.0.1:$MOTO_PORT/moto-api/" moto
  wait_http "http://127.0.0.1:$GITHUB_PORT/_emulator/stats" github
}

cmd_migrate() { "$PY" "$ROOT/manage.py" migrate_schemas --shared -v 0; "$PY" "$ROOT/manage.py" migrate_schemas --tenant -v 0; }

cmd_workers() {
  start_bg worker "$PY" -m celery -A celery_app worker -Q default,discovery,catalog -c "$WORKERS" \
    --loglevel INFO -n "roster@%h" --without-gossip --without-mingle
  start_bg beat "$PY" -m celery -A celery_app beat --loglevel INFO -s "$RUN/celerybeat-schedule"
}

cmd_web() {
  "$PY" "$ROOT/manage.py" collectstatic --noinput -v 0
  start_bg web "$VENV/bin/gunicorn" portal.wsgi:application --bind "127.0.0.1:$PORT" --workers 3 --threads 4 \
    --access-logfile - --graceful-timeout 5
  wait_http "http://127.0.0.1:$PORT/healthz" web
}

cmd_up() {
  cmd_services; write_env; cmd_peers; cmd_migrate; cmd_workers; cmd_web
  log "Roster is up: http://localhost:$PORT/  (tenants at http://<tenant>.localhost:$PORT/admin/ and /api/v1/)"
}

cmd_stop() {
  for name in web beat worker github moto; do stop_bg "$name"; done
  if [ -f "$RUN/redis.pid" ]; then
    log "stopping Redis"
    kill "$(cat "$RUN/redis.pid")" 2>/dev/null || true
    rm -f "$RUN/redis.pid"
  fi
  stop_postgres
}

case "${1:-}" in
  setup) cmd_setup ;;
  services) cmd_services ;;
  env) write_env ;;
  peers) cmd_peers ;;
  migrate) cmd_migrate ;;
  workers) cmd_workers ;;
  web) cmd_web ;;
  up) cmd_up ;;
  stop) cmd_stop ;;
  *) echo "usage: $0 setup|services|env|peers|migrate|workers|web|up|stop" >&2; exit 2 ;;
esac
