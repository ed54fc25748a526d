#!/usr/bin/env bash
# 100,000 lines into a redis list: pushx -lines (one RPUSH per line, and batched with -batch-size) against
# redis-cli --pipe sending the same 100,000 RPUSHes, on the same server in one run (issue 16's reference).
# Prints the table and the ratios; writes bench/results/lines.md.
# Usage: bench/lines.sh [bin-dir] [lines]   (server: tests/services/start.sh's .env; needs hyperfine, redis-cli)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
count=${2:-100000}
[ -x "$bin/pushx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
# shellcheck disable=SC1090
. "${PROCX_SERVICES_ENV:-$root/tests/services/.env}"
command -v hyperfine >/dev/null || { echo "lines.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
host=${PROCX_TEST_REDIS%:*} port=${PROCX_TEST_REDIS#*:}
work=$(mktemp -d); trap 'rm -rf "$work"; redis-cli -h "$host" -p "$port" del linesbench >/dev/null' EXIT
seq -f 'line %g' 1 "$count" > "$work/lines"
# The same RPUSHes in Redis's own protocol, as redis-cli --pipe expects them.
awk '{ printf "*3\r\n$5\r\nRPUSH\r\n$10\r\nlinesbench\r\n$%d\r\n%s\r\n", length($0), $0 }' "$work/lines" > "$work/resp"
pushx="$bin/pushx -driver redis-list -redis-host $host -redis-port $port -redis-key linesbench -lines -in-file $work/lines"
json="$work/h.json"
hyperfine -N -w 1 -r 5 --prepare "redis-cli -h $host -p $port del linesbench" --export-json "$json" \
  "sh -c 'redis-cli -h $host -p $port --pipe < $work/resp'" \
  "$pushx -batch-size 1000" \
  "$pushx" >&2
out="$root/bench/results/lines.md"
python3 - "$json" "$count" "$(nproc)" "$(date -u +%F)" > "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ref = r[0]["mean"]
names = ["redis-cli --pipe (reference)", "pushx -lines -batch-size 1000", "pushx -lines (one RPUSH per line)"]
print(f"{int(sys.argv[2]):,} lines into a redis list, mean of 5 hyperfine runs, {sys.argv[3]} cores, {sys.argv[4]}.")
print()
print("| what | time | lines/s | ratio to redis-cli --pipe |")
print("|:---|---:|---:|---:|")
for name, x in zip(names, r):
    print(f"| {name} | {x['mean'] * 1000:.0f} ms | {int(sys.argv[2]) / x['mean']:,.0f} | {x['mean'] / ref:.2f} |")
PY
cat "$out"
