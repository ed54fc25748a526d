#!/usr/bin/env bash
# Drain-rate benchmark for the rabbitmq driver: how fast procx empties a durable queue of persistent messages
# with the child `true` (-concurrency 1 and 4), next to the broker's own CLI tool taking the same number of
# messages (rabbitmqadmin get … ackmode=ack_requeue_false, in one call, and one call per message).
# Runs against the test broker of tests/services/rabbitmq.service.sh (start it first; its addresses are read
# from tests/services/.env). Writes bench/results/rabbitmq.md.
# Usage: bench/rabbitmq.sh [bin-dir] [messages]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
n=${2:-2000}
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
# Read in a subshell: exported PROCX_TEST_* variables would only make procx warn about unknown settings.
amqp=$(. "$root/tests/services/.env" && echo "${PROCX_TEST_RABBITMQ:-}")
mgmt=$(. "$root/tests/services/.env" && echo "${PROCX_TEST_RABBITMQ_MANAGEMENT:-}")
[ -n "$amqp" ] && [ -n "$mgmt" ] || { echo "bench: start the broker first: tests/services/start.sh rabbitmq" >&2; exit 1; }
url="amqp://guest:guest@$amqp/"
q="procx-bench.$$"
admin() { rabbitmqadmin -H "${mgmt%:*}" -P "${mgmt#*:}" -u guest -p guest "$@"; }
api() { curl -sf -u guest:guest -H 'content-type: application/json' "$@"; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; n,s=int(sys.argv[1]),float(sys.argv[2]); print(f'| {sys.argv[3]} | {n} | {s:.2f} | {n/s:.0f} |')" "$1" "$2" "$3"; }
ready() { api "http://$mgmt/api/queues/%2F/$q" | python3 -c 'import json,sys; print(json.load(sys.stdin)["messages_ready"])'; }
# Persistent messages through the HTTP API, 100 per request body loop (one curl per message is the slow part).
fill() {
  local count=$1
  admin declare queue name="$q" durable=true >/dev/null
  python3 - "$mgmt" "$q" "$count" <<'PY'
import base64, json, sys, urllib.request
mgmt, q, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
auth = "Basic " + base64.b64encode(b"guest:guest").decode()
for i in range(1, n + 1):
    body = json.dumps({"properties": {"delivery_mode": 2}, "routing_key": q, "payload": f"item-{i:05d}", "payload_encoding": "string"}).encode()
    req = urllib.request.Request(f"http://{mgmt}/api/exchanges/%2F/amq.default/publish", body, {"content-type": "application/json", "authorization": auth})
    assert json.load(urllib.request.urlopen(req))["routed"]
PY
  # The HTTP API's queue figures lag a few seconds: wait until they show every message.
  for _ in $(seq 100); do [ "$(ready)" = "$count" ] && return 0; sleep 0.2; done
  echo "bench: the queue did not fill" >&2; exit 1
}
trap 'admin delete queue name="$q" >/dev/null 2>&1 || true' EXIT

results="$root/bench/results/rabbitmq.md"
mkdir -p "$(dirname "$results")"
{
  echo "Drain of $n persistent messages from a durable classic queue, RabbitMQ $(dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null | cut -d- -f1) on 127.0.0.1, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the start, $(date -u +%Y-%m-%d)."
  echo
  echo "| what | messages | seconds | messages/s |"
  echo "|:---|---:|---:|---:|"

  start=$(now); for _ in $(seq "$n"); do /bin/true; done
  rate "$n" "$(echo "$(now) - $start" | bc)" 'raw spawn of `true` (bash loop; the ceiling for any child)'

  fill "$n"; start=$(now)
  admin get queue="$q" count="$n" ackmode=ack_requeue_false >/dev/null
  rate "$n" "$(echo "$(now) - $start" | bc)" "rabbitmqadmin get count=$n (one call, no child)"

  small=$(( n < 200 ? n : 200 ))
  admin purge queue name="$q" >/dev/null; fill "$small"; start=$(now)
  for _ in $(seq "$small"); do admin get queue="$q" count=1 ackmode=ack_requeue_false >/dev/null; true; done
  rate "$small" "$(echo "$(now) - $start" | bc)" 'shell loop: `rabbitmqadmin get count=1` + `true`'

  for c in 1 4; do
    admin purge queue name="$q" >/dev/null; fill "$n"; start=$(now)
    "$bin/procx" -driver rabbitmq -rabbitmq-url "$url" -rabbitmq-queue "$q" -exit-when-empty -concurrency "$c" -log-level warn true
    rate "$n" "$(echo "$(now) - $start" | bc)" "procx rabbitmq, child \`true\`, -concurrency $c"
  done
} | tee "$results"
