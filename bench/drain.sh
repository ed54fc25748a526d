#!/usr/bin/env bash
# Drain-rate benchmark: how fast procx empties a redis list with the child `true`, at -concurrency 1, 2
# and 4, next to a shell loop over redis-cli, the raw spawn rate of `true` and `xargs -P 2` starting `true`
# as many times with no broker at all — all in one run, on one redis-server of its own. Prints the ratio of
# procx at -concurrency 2 to `xargs -P 2` (issue 16's goal: 0.9 or more). Also the peak RSS of a procx
# daemon draining at concurrency 4.
# Usage: bench/drain.sh [bin-dir] [items]   (needs redis-server, redis-cli, GNU time; writes bench/results/drain.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
items=${2:-3000}
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
# shellcheck source=bench/redis-of-its-own.sh
. "$root/bench/redis-of-its-own.sh"

fill() { cli del q >/dev/null; seq -f 'item-%05g' 1 "$items" | sed 's/^/RPUSH q /' | cli >/dev/null; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; n,s=int(sys.argv[1]),float(sys.argv[2]); print(f'| {sys.argv[3]} | {s:.2f} | {n/s:.0f} |')" "$items" "$1" "$2"; }
xargs_secs='' procx2_secs=''

results="$root/bench/results/drain.md"
mkdir -p "$(dirname "$results")"
{
  echo "Drain of $items items, child \`true\`, $(nproc) cores, $(date -u +%Y-%m-%d)."
  echo
  echo "| what | seconds | items/s |"
  echo "|:---|---:|---:|"

  start=$(now); for _ in $(seq "$items"); do /bin/true; done
  rate "$(echo "$(now) - $start" | bc)" 'raw spawn of `true` (bash loop)'

  start=$(now); seq "$items" | xargs -P 2 -n 1 /bin/true
  xargs_secs=$(echo "$(now) - $start" | bc)
  rate "$xargs_secs" '`xargs -P 2` starting `true` (no broker)'

  fill; start=$(now)
  while v=$(cli lpop q) && [ -n "$v" ]; do true; done
  rate "$(echo "$(now) - $start" | bc)" 'shell loop: `redis-cli lpop` + `true`'

  for c in 1 2 4; do
    fill; start=$(now)
    "$bin/procx" -driver redis-list -redis-port "$port" -redis-key q -exit-when-empty -concurrency "$c" -log-level warn true
    secs=$(echo "$(now) - $start" | bc)
    [ "$c" = 2 ] && procx2_secs=$secs
    rate "$secs" "procx redis-list, -concurrency $c"
  done
  echo
  python3 -c "import sys; print(f'procx at -concurrency 2 / xargs -P 2: {float(sys.argv[1]) / float(sys.argv[2]):.2f}x the rate (goal: 0.9x or more).')" "$xargs_secs" "$procx2_secs"

  fill
  rss=$( { /usr/bin/time -f '%M' "$bin/procx" -driver redis-list -redis-port "$port" -redis-key q \
           -exit-when-empty -concurrency 4 -log-level warn true; } 2>&1 | tail -1)
  echo
  echo "Peak RSS of procx draining at -concurrency 4: $((rss / 1024)) MiB ($rss KiB)."
} | tee "$results"
[ "$(cli llen q)" = 0 ] || { echo "drain.sh: the list is not empty" >&2; exit 1; }
