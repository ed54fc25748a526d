#!/usr/bin/env bash
# Drain rate of the mqtt source: procx (child `true`, and no command: it prints each payload) empties a
# persistent QoS 1 session of N messages, next to the broker's own client, `mosquitto_sub -c -q 1 -C N`,
# consuming the same number of messages from the same kind of session. One mosquitto of its own on a free port.
# Usage: bench/mqtt.sh [bin-dir] [messages]   (needs mosquitto, mosquitto-clients; writes bench/results/mqtt.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
n=${2:-2000}
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
cat > "$dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
user $(id -un)
CONF
"$mosquitto" -c "$dir/mosquitto.conf" >"$dir/log" 2>&1 &
broker=$!
trap 'kill "$broker" 2>/dev/null; rm -rf "$dir"' EXIT
until mosquitto_sub -p "$port" -t probe -E >/dev/null 2>&1; do sleep 0.1; done

topic=bench/jobs
# A session (client id $1) subscribed with QoS 1, then N messages published with QoS 1 and queued for it.
fill() {
  mosquitto_sub -p "$port" -V 5 -c -x 86400 -i "$1" -q 1 -t "$topic" -E >/dev/null
  seq -f 'message-%06g' 1 "$n" | mosquitto_pub -p "$port" -V 5 -q 1 -t "$topic" -l
}
now() { date +%s.%N; }
rate() { python3 -c "import sys; n,s=int(sys.argv[1]),float(sys.argv[2]); print(f'| {sys.argv[3]} | {s:.2f} | {n/s:.0f} |')" "$n" "$1" "$2"; }

results="$root/bench/results/mqtt.md"
mkdir -p "$(dirname "$results")"
{
  echo "Drain of $n QoS 1 messages queued for a persistent session, mosquitto $("$mosquitto" -h | head -1 | awk '{print $3}'), $(nproc) cores, $(date -u +%Y-%m-%d)."
  echo
  echo "| what | seconds | messages/s |"
  echo "|:---|---:|---:|"

  fill sub; start=$(now)
  mosquitto_sub -p "$port" -V 5 -c -x 86400 -i sub -q 1 -t "$topic" -C "$n" >/dev/null
  rate "$(echo "$(now) - $start" | bc)" '`mosquitto_sub -c -q 1 -C N` (no child)'

  fill pn; start=$(now)
  "$bin/procx" -driver mqtt -mqtt-port "$port" -mqtt-topic "$topic" -mqtt-client-id pn -exit-when-empty -daemon-interval 200 -log-level warn >/dev/null
  rate "$(echo "$(now) - $start" | bc)" 'procx mqtt, no command (prints each payload)'

  for c in 1 4; do
    fill "p$c"; start=$(now)
    "$bin/procx" -driver mqtt -mqtt-port "$port" -mqtt-topic "$topic" -mqtt-client-id "p$c" -exit-when-empty -daemon-interval 200 -concurrency "$c" -log-level warn true
    rate "$(echo "$(now) - $start" | bc)" "procx mqtt, child \`true\`, -concurrency $c"
  done

  fill sh; start=$(now)
  mosquitto_sub -p "$port" -V 5 -c -x 86400 -i sh -q 1 -t "$topic" -C "$n" | while read -r _; do /bin/true; done
  rate "$(echo "$(now) - $start" | bc)" '`mosquitto_sub … -C N | while read; do true; done` (child `true`, no ack after it)'
} | tee "$results"
echo "(procx -exit-when-empty includes one -daemon-interval 200 ms of waiting for more at the end)" >> "$results"
