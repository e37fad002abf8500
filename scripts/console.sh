#!/usr/bin/env bash
# The web console (console/): `scripts/console.sh build` installs its npm packages from the lockfile when
# package-lock.json changed since the last install (stamp: console/node_modules/.roster-lock), and builds it
# into console/dist (served by Django) when its inputs changed since the last build (stamp: console/dist/.roster-build).
# `scripts/console.sh test` runs its component tests. Needs Node 18 or 20 and npm.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/console"
log() { printf '\033[1m[console]\033[0m %s\n' "$*" >&2; }

need_node() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
    log "node and npm are needed to build the console (Node 18 or 20; Debian: apt-get install nodejs npm)"; exit 1; }
}

install() {
  need_node
  local want; want="$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$DIR/node_modules/.roster-lock" 2>/dev/null)" != "$want" ]; then
    log "installing the console's npm packages (npm ci)"
    (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$DIR/node_modules/.roster-lock"
  fi
}

inputs_hash() {
  (cd "$DIR" && find src index.html package.json package-lock.json vite.config.ts tsconfig.json tailwind.config.js \
      postcss.config.js -type f ! -name '*.test.ts' ! -name '*.test.tsx' ! -path 'src/test/*' -print0 | sort -z \
      | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

build() {
  install
  local want; want="$(inputs_hash)"
  if [ -f "$DIR/dist/index.html" ] && [ "$(cat "$DIR/dist/.roster-build" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  log "building the console (vite build)"
  (cd "$DIR" && npm run --silent build)
  echo "$want" > "$DIR/dist/.roster-build"
}

case "${1:-build}" in
  build) build ;;
  install) install ;;
  test) install; (cd "$DIR" && npm test) ;;
  *) echo "usage: scripts/console.sh [build|install|test]" >&2; exit 2 ;;
esac
