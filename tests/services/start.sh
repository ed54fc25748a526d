#!/usr/bin/env bash
# Installs (Debian packages, npm) and starts the real servers the tests use, on 127.0.0.1 with temporary
# data directories, then writes their addresses as export lines to tests/services/.env
# (PROCX_TEST_REDIS=127.0.0.1:16379, ...). scripts/test.sh sources that file.
#
# Usage: tests/services/start.sh [service...]      (default: every tests/services/*.service.sh)
# Stop them with tests/services/stop.sh.
#
# A service is one file, NAME.service.sh, defining:
#   NAME_packages   echo the Debian packages it needs (may print nothing)
#   NAME_npm        echo the npm packages it needs (may print nothing; installed into $SERVICES_ROOT/npm)
#   NAME_start      start it (in the background), wait until it answers, and append export lines to $SERVICES_ENV;
#                   record each daemon's pid with: remember_pid NAME $!
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SERVICES_ROOT=${SERVICES_ROOT:-/tmp/procx-services}
export SERVICES_ENV=${SERVICES_ENV:-$here/.env}
mkdir -p "$SERVICES_ROOT"
chmod 755 "$SERVICES_ROOT"
: > "$SERVICES_ENV"

remember_pid() { echo "$2" >> "$SERVICES_ROOT/$1.pids"; }
# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local what=$1 seconds=$2; shift 2
  for _ in $(seq 1 $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "services: $what did not become ready in ${seconds}s" >&2
  return 1
}
export -f remember_pid wait_for

if [ $# -gt 0 ]; then
  services=("$@")
else
  services=()
  for f in "$here"/*.service.sh; do
    [ -e "$f" ] || continue
    services+=("$(basename "$f" .service.sh)")
  done
fi

apt=(); npm=()
for s in "${services[@]}"; do
  # shellcheck disable=SC1090
  . "$here/$s.service.sh"
  read -r -a p <<< "$("${s}_packages")"; apt+=("${p[@]}")
  read -r -a n <<< "$("${s}_npm")"; npm+=("${n[@]}")
done

missing=()
for p in "${apt[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -E"   # CI runners other than ours are not root
if [ ${#missing[@]} -gt 0 ]; then
  echo "services: apt-get install ${missing[*]}" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#npm[@]} -gt 0 ]; then
  mkdir -p "$SERVICES_ROOT/npm"
  (cd "$SERVICES_ROOT/npm" && [ -f package.json ] || echo '{"private":true}' > package.json)
  (cd "$SERVICES_ROOT/npm" && npm install --no-audit --no-fund --silent "${npm[@]}" >/dev/null)
fi

for s in "${services[@]}"; do
  echo "services: starting $s" >&2
  # Daemons must not hold the caller's stdout/stderr open: their output goes to a log file. The start runs in
  # a shell of its own: inside "if !" bash ignores set -e, so a wait_for that failed went unnoticed and the
  # tests failed later with a less direct message.
  if ! bash -euo pipefail -c '. "$1"; "$2_start"' start "$here/$s.service.sh" "$s" >>"$SERVICES_ROOT/$s.log" 2>&1; then
    echo "services: $s failed to start; its log:" >&2
    tail -n 50 "$SERVICES_ROOT/$s.log" >&2
    exit 1
  fi
done
echo "services: ready (${services[*]}); addresses in $SERVICES_ENV" >&2
