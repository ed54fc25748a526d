#!/usr/bin/env bash
# Stops every server tests/services/start.sh started.
SERVICES_ROOT=${SERVICES_ROOT:-/tmp/procx-services}
for f in "$SERVICES_ROOT"/*.pids; do
  [ -e "$f" ] || continue
  while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$f"
  rm -f "$f"
done
