#!/usr/bin/env bash
# The seed's bridge, redis-list -> `procx pushx` -> redis-list: items/s with pushx run in process (pushx is
# this same executable) next to the spawn path (-in-process-pushx=false, a pushx process per item), at
# -concurrency 1 and 4, one run on a redis-server of its own. Every item is checked to arrive once.
# Usage: bench/bridge.sh [bin-dir] [items]   (needs redis-server, redis-cli; writes bench/results/bridge.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
items=${2:-20000}
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
# shellcheck source=bench/redis-of-its-own.sh
. "$root/bench/redis-of-its-own.sh"

fill() { cli del in out >/dev/null; seq -f 'item-%06g' 1 "$1" | sed 's/^/RPUSH in /' | cli >/dev/null; }
now() { date +%s.%N; }
export PATH="$bin:$PATH" PROCX_PASS_WORK_AS_STDIN=true PUSHX_DRIVER=redis-list PUSHX_REDIS_PORT="$port" PUSHX_REDIS_KEY=out
results="$root/bench/results/bridge.md"
{
  echo "redis-list -> \`procx pushx\` -> redis-list, $(nproc) cores, $(date -u +%Y-%m-%d)."
  echo
  echo "| path | -concurrency | items | seconds | items/s |"
  echo "|:---|---:|---:|---:|---:|"
  for path in in-process spawn; do
    flag=true; n=$items
    [ "$path" = spawn ] && { flag=false; n=$((items / 20)); }   # a process per item: fewer items, same rate
    for c in 1 4; do
      fill "$n"; start=$(now)
      procx -driver redis-list -redis-port "$port" -redis-key in -exit-when-empty -concurrency "$c" -in-process-pushx="$flag" -log-level warn pushx
      secs=$(echo "$(now) - $start" | bc)
      got=$(cli llen out); unique=$(cli lrange out 0 -1 | sort -u | wc -l)
      [ "$got" = "$n" ] && [ "$unique" = "$n" ] || { echo "bridge.sh: $path c=$c moved $got items ($unique distinct) of $n" >&2; exit 1; }
      python3 -c "import sys; n,s=int(sys.argv[1]),float(sys.argv[2]); print(f'| {sys.argv[3]} | {sys.argv[4]} | {n} | {s:.2f} | {n/s:,.0f} |')" "$n" "$secs" "$path" "$c"
    done
  done
} > "$results"
cat "$results"
