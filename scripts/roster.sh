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
SLACK_PORT="${ROSTER_SLACK_PORT:-45012}"
PORT="${PORT:-8000}"
WORKERS="${ROSTER_WORKERS:-2}"
# .run holds the keys and the local services' passwords: only its owner may enter it (as root, the
# PostgreSQL server still gets into .run/pg through CAP_DAC_READ_SEARCH, see pg_user_run). Private files
# are created under umask 077, so they are never readable by others, not even for a moment.
(umask 077; mkdir -p "$RUN/log")
if [ "$(id -u)" != 0 ] || command -v setpriv >/dev/null 2>&1; then
  chmod 700 "$RUN"
else
  chmod 711 "$RUN"  # runuser gives no capability: the postgres user needs to traverse (never to list)
fi

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
  # Runtime and development pins (the local stack runs the peers and the suite, so it needs both).
  want="$(cat "$ROOT/requirements/base.txt" "$ROOT/requirements/dev.txt" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing Python dependencies (requirements/base.txt, requirements/dev.txt)"
    # (grep drops a machine-wide pip.conf's notes about absent local indexes; real errors still show)
    "$PY" -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored: it is neither" || true
    "$PY" -m pip install -q -r "$ROOT/requirements/base.txt" -r "$ROOT/requirements/dev.txt" 2>&1 \
      | grep -v "is ignored: it is neither" || true
    "$PY" -c "import django, celery, django_tenants" || { log "Python dependencies failed to install"; exit 1; }
    echo "$want" > "$stamp"
  fi
}

node_env() {
  # GitHub's and Slack's published descriptions and the third-party clients the local peers are tested with,
  # from each lockfile (again whenever a package-lock.json changes: stamp in node_modules/.roster-lock).
  local pkg want
  for pkg in "$ROOT/peers/github_emulator" "$ROOT/peers/slack_peer"; do
    [ -f "$pkg/package-lock.json" ] || continue
    want="$(sha256sum "$pkg/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$pkg/node_modules/.roster-lock" 2>/dev/null)" != "$want" ]; then
      log "installing published schemas and clients for ${pkg##*/} (npm ci)"
      (cd "$pkg" && npm ci --silent --no-audit --no-fund >/dev/null)
      echo "$want" > "$pkg/node_modules/.roster-lock"
    fi
  done
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

# new_secret FILE: a random password (hex: safe in URLs, pgpass and redis.conf) in FILE, mode 0600,
# unless FILE already holds one.
new_secret() {
  if [ ! -s "$1" ]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_hex(24))' > "$1.tmp" && mv -f "$1.tmp" "$1")
  fi
  chmod 600 "$1"
}

# Every psql/createdb here (and anyone who sets PGPASSFILE=.run/pgpass) authenticates from this file.
export PGPASSFILE="$RUN/pgpass"
write_pgpass() {
  (umask 077; printf '*:%s:*:roster:%s\n' "$PG_PORT" "$(cat "$RUN/pg.password")" > "$RUN/pgpass.tmp" \
    && mv -f "$RUN/pgpass.tmp" "$RUN/pgpass")
}

# No connection is trusted: over TCP (127.0.0.1 only) and the socket in .run/pg, the password is asked (SCRAM).
write_pg_hba() {
  local hba="$RUN/pg/data/pg_hba.conf"
  (umask 077; cat > "$hba.new" <<HBA
# Written by scripts/roster.sh: every connection proves the roster password (.run/pg.password), none is trusted.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 scram-sha-256
host    all       all   127.0.0.1/32  scram-sha-256
HBA
  )
  [ "$(id -u)" = 0 ] && chown postgres "$hba.new"
  mv -f "$hba.new" "$hba"
}

pg_hba_trusts() { grep -Eq '^[[:space:]]*[^#[:space:]].*[[:space:]]trust([[:space:]]|$)' "$RUN/pg/data/pg_hba.conf"; }

# A cluster made by an older roster.sh trusts every local connection: give roster its password (sent on
# psql's stdin, never on a command line) and require it from now on. Connections already open keep working.
migrate_pg_auth() {
  local bin="$1"
  log "PostgreSQL in .run/pg trusted local connections: setting the roster password, requiring scram-sha-256"
  { echo "SET password_encryption = 'scram-sha-256';"
    printf "ALTER ROLE roster PASSWORD '%s';\n" "$(cat "$RUN/pg.password")"
  } | "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U roster -d postgres -qAtX -v ON_ERROR_STOP=1 -f - >/dev/null
  write_pg_hba
  pg_user_run "$bin/pg_ctl" -D "$RUN/pg/data" reload >/dev/null
}

start_postgres() {
  local bin; bin="$(pg_bin)"
  local data="$RUN/pg/data"
  if [ -f "$data/PG_VERSION" ] && [ ! -s "$RUN/pg.password" ] && ! pg_hba_trusts; then
    log ".run/pg asks for a password but .run/pg.password is gone: 'make stop', remove .run/pg (the local data) and start again"
    exit 1
  fi
  new_secret "$RUN/pg.password"
  write_pgpass
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising PostgreSQL in .run/pg"
    (umask 077; mkdir -p "$RUN/pg")
    # initdb reads the superuser's password from a file; this copy belongs to the server's user and goes away.
    (umask 077; cp "$RUN/pg.password" "$RUN/pg/initdb.pw")
    [ "$(id -u)" = 0 ] && { pg_user_run true; chown -R postgres "$RUN/pg"; }
    pg_user_run "$bin/initdb" -D "$data" -U roster --auth=scram-sha-256 --pwfile="$RUN/pg/initdb.pw" \
      -E UTF8 --locale=C >"$RUN/log/initdb.log" || { rm -f "$RUN/pg/initdb.pw"; exit 1; }
    rm -f "$RUN/pg/initdb.pw"
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$RUN/pg'
password_encryption = 'scram-sha-256'
max_connections = 200
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    write_pg_hba
  fi
  if ! pg_user_run "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] && chown -R postgres "$RUN/pg"
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    pg_user_run "$bin/pg_ctl" -D "$data" -l "$RUN/pg/postgres.log" -w -t 60 start >/dev/null 9>&-
    cp "$data/postmaster.pid" "$RUN/postgres.pid" 2>/dev/null || true
  fi
  if pg_hba_trusts; then migrate_pg_auth "$bin"; fi
  for db in roster; do
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U roster -d postgres -wtAXc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
      || "$bin/createdb" -w -h 127.0.0.1 -p "$PG_PORT" -U roster "$db"
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

# Chaos (scripts/chaos.py, tests/test_chaos.py): the servers go away under running work and come back.
restart_postgres() {
  local bin; bin="$(pg_bin)"
  log "restarting PostgreSQL (every connection is cut)"
  pg_user_run "$bin/pg_ctl" -D "$RUN/pg/data" -m fast -w -t 60 restart -l "$RUN/pg/postgres.log" >/dev/null 9>&-
  cp "$RUN/pg/data/postmaster.pid" "$RUN/postgres.pid" 2>/dev/null || true
}

restart_redis() {  # no persistence (redis.conf): what was queued is lost, as when a broker machine is replaced
  log "restarting Redis (its queues are lost)"
  REDISCLI_AUTH="$(cat "$RUN/redis.password")" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 50); do kill -0 "$(cat "$RUN/redis.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
  rm -f "$RUN/redis.pid"
  start_redis
  for _ in $(seq 50); do
    [ "$(REDISCLI_AUTH="$(cat "$RUN/redis.password")" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  log "Redis did not come back"; return 1
}

# Redis asks for a password (requirepass). It reaches redis-server through .run/redis.conf (0600), never a
# command line; clients get it in ROSTER_REDIS_URL (.run/env).
write_redis_conf() {
  (umask 077; cat > "$RUN/redis.conf.tmp" <<CONF
# Written by scripts/roster.sh from .run/redis.password.
bind 127.0.0.1
protected-mode yes
port $REDIS_PORT
requirepass $(cat "$RUN/redis.password")
daemonize yes
pidfile $RUN/redis.pid
dir $RUN
save ""
appendonly no
logfile $RUN/log/redis.log
CONF
  mv -f "$RUN/redis.conf.tmp" "$RUN/redis.conf")
}

start_redis() {
  new_secret "$RUN/redis.password"
  new_secret "$RUN/slack.signing"  # the local Slack peer signs with it, as Slack would with the app's secret
  write_redis_conf
  if [ -f "$RUN/redis.pid" ] && kill -0 "$(cat "$RUN/redis.pid")" 2>/dev/null; then
    # Started by an older roster.sh without a password: require it now, no restart (open connections stay).
    if [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; then
      log "Redis on 127.0.0.1:$REDIS_PORT had no password: requiring .run/redis.password from now on"
      printf 'CONFIG SET requirepass %s\n' "$(cat "$RUN/redis.password")" \
        | redis-cli -h 127.0.0.1 -p "$REDIS_PORT" >/dev/null
    fi
    return 0
  fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server "$RUN/redis.conf" 9>&-
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
  if [ ! -s "$RUN/secret.key" ]; then
    (umask 077; "$PY" -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" > "$RUN/secret.key")
  fi
  if [ ! -s "$RUN/django.key" ]; then
    (umask 077; "$PY" -c "import secrets; print(secrets.token_urlsafe(50))" > "$RUN/django.key")
  fi
  chmod 600 "$RUN/secret.key" "$RUN/django.key"
  new_secret "$RUN/pg.password"
  new_secret "$RUN/redis.password"
  # Written whole and then renamed: a process reading .run/env meanwhile sees the old or the new file.
  (umask 077; cat > "$RUN/env.tmp" <<ENV
# Written by scripts/roster.sh; read by manage.py, celery_app.py and the web server. Private (0600).
ROSTER_DB_HOST=127.0.0.1
ROSTER_DB_PORT=$PG_PORT
ROSTER_DB_USER=roster
ROSTER_DB_PASSWORD=$(cat "$RUN/pg.password")
ROSTER_DB_NAME=roster
ROSTER_REDIS_URL=redis://:$(cat "$RUN/redis.password")@127.0.0.1:$REDIS_PORT/0
ROSTER_ENCRYPTION_KEY=$(cat "$RUN/secret.key")
ROSTER_SECRET_KEY=$(cat "$RUN/django.key")
ROSTER_LOCAL_PEERS=1
ROSTER_AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
ROSTER_GITHUB_EMULATOR_URL=http://127.0.0.1:$GITHUB_PORT
ROSTER_DEBUG=1
ROSTER_WEBHOOK_CONSOLE_URL=http://{host}:$PORT
SLACK_SIGNING_SECRET=$(cat "$RUN/slack.signing")
ROSTER_SLACK_API_URL=http://127.0.0.1:$SLACK_PORT/api/
ROSTER_SLACK_PUBLIC_URL=http://localhost:$PORT
AWS_ACCESS_KEY_ID=roster-local
AWS_SECRET_ACCESS_KEY=roster-local
AWS_DEFAULT_REGION=us-east-1
ENV
  mv -f "$RUN/env.tmp" "$RUN/env")
}

# The web console: npm packages from its lockfile and its build (each only when its inputs changed).
console_env() { "$ROOT/scripts/console.sh" build; }

cmd_setup() { install_system_packages; python_env; node_env; console_env; }

# The browser the console's end-to-end tests drive: Debian's Chromium (Playwright downloads nothing).
cmd_browser() {
  command -v chromium >/dev/null 2>&1 && return 0
  log "installing chromium with apt-get (for the console's browser tests)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
}

# The services and the .run/env that reaches them (its passwords are the ones the services ask for). One
# roster.sh at a time (several `make test` may start together): the lock is fd 9, which the servers do not keep.
cmd_services() {
  cmd_setup
  if command -v flock >/dev/null 2>&1; then exec 9>"$RUN/services.lock"; flock 9; fi
  start_postgres; start_redis; write_env
  exec 9>&-
}

cmd_peers() {
  start_bg moto "$PY" -m peers.moto_server --port "$MOTO_PORT"
  start_bg github "$PY" -m peers.github_emulator --port "$GITHUB_PORT" --token roster-demo-token
  wait_http "http://127.0.0.1:$MOTO_PORT/moto-api/" moto
  # The signing secret through the environment, never the command line (ps would show it).
  SLACK_SIGNING_SECRET="$(cat "$RUN/slack.signing")" start_bg slack "$PY" -m peers.slack_peer --port "$SLACK_PORT"
  wait_http "http://127.0.0.1:$GITHUB_PORT/_emulator/stats" github
  wait_http "http://127.0.0.1:$SLACK_PORT/_peer/stats" slack
}

cmd_migrate() { "$PY" "$ROOT/manage.py" migrate_schemas --shared -v 0; "$PY" "$ROOT/manage.py" migrate_schemas --tenant -v 0; }

cmd_workers() {
  # Every queue: the base ones and each tenant shard of discovery jobs (portal/queues.py).
  start_bg worker "$PY" -m celery -A celery_app worker -Q "$("$PY" -m portal.queues)" -c "$WORKERS" \
    --loglevel INFO -n "roster@%h" --without-gossip --without-mingle
  start_bg beat "$PY" -m celery -A celery_app beat --loglevel INFO -s "$RUN/celerybeat-schedule"
}

cmd_web() {
  console_env  # collectstatic picks up console/dist
  "$PY" "$ROOT/manage.py" collectstatic --noinput -v 0
  start_bg web "$PY" -m portal.serve --bind "127.0.0.1:$PORT" --workers 3 --access-logfile -
  wait_http "http://127.0.0.1:$PORT/healthz" web
}

cmd_up() {
  cmd_services; cmd_peers; cmd_migrate; cmd_workers; cmd_web
  log "Roster is up: http://localhost:$PORT/  (each tenant at http://<tenant>.localhost:$PORT/: the console, /admin/ and /api/v1/)"
}

cmd_stop() {
  for name in web beat worker slack github moto; do stop_bg "$name"; done
  if [ -f "$RUN/redis.pid" ]; then
    log "stopping Redis"
    kill "$(cat "$RUN/redis.pid")" 2>/dev/null || true
    rm -f "$RUN/redis.pid"
  fi
  stop_postgres
}

case "${1:-}" in
  setup) cmd_setup ;;
  browser) cmd_browser ;;
  services) cmd_services ;;
  env) write_env ;;
  peers) cmd_peers ;;
  migrate) cmd_migrate ;;
  workers) cmd_workers ;;
  web) cmd_web ;;
  up) cmd_up ;;
  stop) cmd_stop ;;
  restart-postgres) restart_postgres ;;
  restart-redis) restart_redis ;;
  *) echo "usage: $0 setup|browser|services|env|peers|migrate|workers|web|up|stop|restart-postgres|restart-redis" >&2; exit 2 ;;
esac
