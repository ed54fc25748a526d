#!/usr/bin/env bash
# Start-up benchmark: the published procx/pushx against a C hello world, measured in one hyperfine run.
# Usage: bench/startup.sh [bin-dir]   (needs hyperfine and gcc; writes bench/results/startup.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
tmp=$(mktemp -d)
printf '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n' > "$tmp/hello.c"
gcc -O2 -o "$tmp/hello" "$tmp/hello.c"
mkdir -p "$root/bench/results"
export PROCX_PAYLOAD='{"id":1}'
hyperfine -N --warmup 20 --runs 300 \
  -n 'C hello world' "$tmp/hello" \
  -n 'procx --version' "$bin/procx --version" \
  -n 'procx local round trip (child: true)' "$bin/procx -driver local -log-level warn true" \
  -n 'procx local, no child (prints payload)' "$bin/procx -driver local -log-level warn" \
  -n 'pushx local -in' "$bin/pushx -driver local -in x" \
  --export-markdown "$root/bench/results/startup.md"
rm -rf "$tmp"
