#!/usr/bin/env bash
# Drain rate of the etcd source: procx empties N keys under a prefix with the child `true` (-concurrency 1
# and 4), next to etcd's own CLI doing the same in a shell loop (etcdctl get --prefix --limit 1, etcdctl
# del, `true`: the original's way, with no claim), on an etcd member of its own (a temporary data dir).
# Usage: bench/etcd.sh [bin-dir] [items]   (needs etcd, etcdctl, curl, python3; writes bench/results/etcd.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
items=${2:-1000}
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); peer=$(free_port)
dir=$(mktemp -d)
etcd --name b --data-dir "$dir/data" --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "b=http://127.0.0.1:$peer" --logger zap --log-level error 2>"$dir/log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
export ETCDCTL_API=3
ctl() { etcdctl --endpoints="127.0.0.1:$port" "$@"; }
until ctl endpoint health >/dev/null 2>&1; do sleep 0.1; done

left() { ctl get --prefix q/ --keys-only | awk 'NF' | wc -l; }

# N keys q/item-00001… in transactions of 100 puts (etcd's --max-txn-ops is 128).
fill() {
  ctl del --prefix q/ >/dev/null
  python3 - "$items" <<'PY' | while read -r body; do curl -sf -X POST "http://127.0.0.1:$port/v3/kv/txn" -d "$body" >/dev/null; done
import base64, json, sys
n = int(sys.argv[1]); b = lambda s: base64.b64encode(s.encode()).decode()
for start in range(1, n + 1, 100):
    ops = [{"request_put": {"key": b(f"q/item-{i:05d}"), "value": b(f"item-{i:05d}")}} for i in range(start, min(n, start + 99) + 1)]
    print(json.dumps({"success": ops}))
PY
  [ "$(left)" = "$items" ]
}
now() { date +%s.%N; }
rate() { python3 -c "import sys; n,s=int(sys.argv[1]),float(sys.argv[2]); print(f'| {sys.argv[3]} | {s:.2f} | {n/s:.0f} |')" "$items" "$1" "$2"; }

results="$root/bench/results/etcd.md"
mkdir -p "$(dirname "$results")"
{
  echo "Drain of $items etcd keys, child \`true\`, $(nproc) cores, etcd $(etcd --version | awk '/etcd Version/ {print $3}'), $(date -u +%Y-%m-%d)."
  echo
  echo "| what | seconds | keys/s |"
  echo "|:---|---:|---:|"

  fill; start=$(now)
  while k=$(ctl get --prefix q/ --keys-only --limit 1) && [ -n "$k" ]; do ctl del "$k" >/dev/null; true; done
  rate "$(echo "$(now) - $start" | bc)" 'shell loop: `etcdctl get --prefix --limit 1` + `etcdctl del` + `true` (no claim)'

  for c in 1 4; do
    fill; start=$(now)
    "$bin/procx" -driver etcd -etcd-hosts "127.0.0.1:$port" -etcd-retrieve-key q/ -etcd-with-prefix -etcd-clear-op rm \
      -exit-when-empty -concurrency "$c" -daemon-interval 200 -log-level warn true
    rate "$(echo "$(now) - $start" | bc)" "procx etcd (claim txn + clear txn), child \`true\`, -concurrency $c"
    [ "$(left)" = 0 ] || { echo "etcd.sh: keys left after procx -concurrency $c" >&2; exit 1; }
  done

  fill; start=$(now)
  for _ in $(seq "$items"); do "$bin/procx" -driver etcd -etcd-hosts "127.0.0.1:$port" -etcd-retrieve-key q/ -etcd-with-prefix -etcd-clear-op rm -log-level warn >/dev/null; done
  rate "$(echo "$(now) - $start" | bc)" 'one-shot procx per key, no command (prints the value)'
  [ "$(left)" = 0 ] || { echo "etcd.sh: keys left after the one-shot runs" >&2; exit 1; }
} | tee "$results"
