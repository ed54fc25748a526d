#!/usr/bin/env bash
# Drain rate of procx's nats driver (JetStream, -nats-stream) next to a tiny raw-protocol JetStream consumer
# (bench/nats_raw.py: pull batches of 100, +ACK each; the `nats` CLI is not installed here), on a nats-server
# of its own. procx runs with no command (the payload is printed) and with the child `true`, at -concurrency 1 and 4.
# Usage: bench/nats.sh [bin-dir] [messages]   (needs nats-server and python3; writes bench/results/nats.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
n=${2:-2000}
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
nats-server -a 127.0.0.1 -p "$port" -js -sd "$dir" -l "$dir/log" & pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port)).close()" 2>/dev/null; do sleep 0.1; done
raw() { python3 "$root/bench/nats_raw.py" "$port" "$@"; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; n,s=int(sys.argv[1]),float(sys.argv[2]); print(f'| {sys.argv[3]} | {s:.2f} | {n/s:.0f} |')" "$n" "$1" "$2"; }
procx() { "$bin/procx" -driver nats -nats-url "nats://127.0.0.1:$port" -nats-stream BENCH -nats-consumer procx -exit-when-empty -log-level warn "$@"; }

results="$root/bench/results/nats.md"
mkdir -p "$(dirname "$results")"
{
  echo "JetStream drain of $n messages (file storage), $(nproc) cores, nats-server $(nats-server --version | awk '{print $2}'), $(date -u +%Y-%m-%d), load average at start: $(cut -d' ' -f1 /proc/loadavg)."
  echo
  echo "| what | seconds | messages/s |"
  echo "|:---|---:|---:|"
  start=$(now); for _ in $(seq "$n"); do /bin/true; done
  rate "$(echo "$(now) - $start" | bc)" 'raw spawn of `true` (bash loop, no NATS): the floor for a child per message'
  raw fill BENCH bench.jobs "$n"
  rate "$(raw drain BENCH raw "$n")" 'raw-protocol consumer (bench/nats_raw.py), pull 100 + `+ACK` each'
  for c in 1 4; do
    raw fill BENCH bench.jobs "$n"; start=$(now)
    procx -concurrency "$c" >/dev/null
    rate "$(echo "$(now) - $start" | bc)" "procx, no command (payload to stdout), -concurrency $c"
  done
  for c in 1 4; do
    raw fill BENCH bench.jobs "$n"; start=$(now)
    procx -concurrency "$c" true
    rate "$(echo "$(now) - $start" | bc)" "procx, child \`true\`, -concurrency $c"
  done
} | tee "$results"
