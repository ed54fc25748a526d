#!/usr/bin/env bash
# Drain-rate benchmark for the activemq driver: how fast procx empties an ActiveMQ queue over STOMP (with the
# child `true`, at -concurrency 1 and 4, and with no command), next to a plain STOMP consumer
# (bench/stomp_client.py: python3, one subscription, ack:client-individual, an ACK per message) consuming the
# same number of messages from the same broker.
# Usage: bench/activemq.sh [bin-dir] [messages]   (needs a running broker: PROCX_TEST_ACTIVEMQ=host:port, as
# tests/services/start.sh activemq exports it; writes bench/results/activemq.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
n=${2:-2000}
address=${PROCX_TEST_ACTIVEMQ:?set PROCX_TEST_ACTIVEMQ=host:port (tests/services/start.sh activemq)}
host=${address%:*}; port=${address##*:}
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
client() { python3 "$root/bench/stomp_client.py" "$@"; }
# The tests' PROCX_TEST_* variables are not procx settings (procx would warn about each).
unset PROCX_TEST_ACTIVEMQ PROCX_TEST_ACTIVEMQ_TLS PROCX_TEST_ACTIVEMQ_CA
now() { date +%s.%N; }
rate() { python3 -c "import sys; n,s=int(sys.argv[1]),float(sys.argv[2]); print(f'| {sys.argv[3]} | {s:.2f} | {n/s:.0f} |')" "$n" "$1" "$2"; }
queue="bench.$$"

results="$root/bench/results/activemq.md"
mkdir -p "$(dirname "$results")"
{
  echo "Drain of $n persistent messages from ActiveMQ $(dpkg-query -W -f='${Version}' activemq 2>/dev/null || echo '?') over STOMP at $address, $(nproc) cores, $(date -u +%Y-%m-%d)."
  echo
  echo "| consumer | seconds | messages/s |"
  echo "|:---|---:|---:|"
  client fill "$host" "$port" "$queue-py" "$n"
  start=$(now); client drain "$host" "$port" "$queue-py" "$n"
  rate "$(echo "$(now) - $start" | bc)" 'python3 STOMP consumer (bench/stomp_client.py), ACK each, prefetch 1'
  client fill "$host" "$port" "$queue-pyp" "$n"
  start=$(now); client drain "$host" "$port" "$queue-pyp" "$n" 100
  rate "$(echo "$(now) - $start" | bc)" 'python3 STOMP consumer, ACK each, prefetch 100'
  for c in 1 4; do
    client fill "$host" "$port" "$queue-c$c" "$n"
    start=$(now)
    "$bin/procx" -driver activemq -activemq-address "$address" -activemq-name "$queue-c$c" -exit-when-empty -concurrency "$c" -log-level warn true
    rate "$(echo "$(now) - $start" | bc)" "procx activemq, child \`true\`, -concurrency $c"
  done
  client fill "$host" "$port" "$queue-none" "$n"
  start=$(now)
  "$bin/procx" -driver activemq -activemq-address "$address" -activemq-name "$queue-none" -exit-when-empty -log-level warn > /dev/null
  rate "$(echo "$(now) - $start" | bc)" 'procx activemq, no command (payloads to stdout), -concurrency 1'
} | tee "$results"
