#!/usr/bin/env bash
# Start-up cost in instructions (valgrind callgrind): unlike wall-clock time, the count does not change
# with what else the machine is doing, so it compares builds on a busy machine.
# Usage: bench/startup-instructions.sh [bin-dir]   (needs valgrind and gcc; writes bench/results/startup-instructions.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n' > "$tmp/hello.c"
gcc -O2 -o "$tmp/hello" "$tmp/hello.c"
export PROCX_PAYLOAD='{"id":1}'
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | awk '/refs:/ {print $NF}'; }
out="$root/bench/results/startup-instructions.md"
{
  echo "| command | instructions |"
  echo "|:---|---:|"
  echo "| C hello world | $(count "$tmp/hello") |"
  echo "| \`procx --version\` | $(count "$bin/procx" --version) |"
  echo "| \`procx -driver local true\` (child not counted) | $(count "$bin/procx" -driver local -log-level warn true) |"
  echo "| \`pushx -driver local -in x\` | $(count "$bin/pushx" -driver local -in x) |"
} | tee "$out"
