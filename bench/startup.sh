#!/usr/bin/env bash
# Start-up benchmark: the published procx/pushx against a C hello world and a Native AOT C# hello world built
# with procx's own settings (bench/aot-hello), in one hyperfine run; prints each command's ratio to the AOT
# hello world (issue 16's goal: `procx --version` and `pushx -driver local -in x` within 1.5x).
# Usage: bench/startup.sh [bin-dir] [name]   (needs hyperfine, gcc, python3; writes bench/results/<name>.md,
# default startup.md; e.g. bench/startup.sh /tmp/slim startup-slim for a -p:Drivers=… build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
results="$root/bench/results/${2:-startup}.md"
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n' > "$tmp/hello.c"
gcc -O2 -o "$tmp/hello" "$tmp/hello.c"
dotnet publish "$root/bench/aot-hello/AotHello.csproj" -c Release -r linux-x64 -o "$tmp/aot" -p:DebugType=none --nologo -v quiet >/dev/null
mkdir -p "$root/bench/results"
export PROCX_PAYLOAD='{"id":1}'
hyperfine -N --warmup 20 --runs 300 \
  -n 'C hello world' "$tmp/hello" \
  -n 'Native AOT C# hello world' "$tmp/aot/aot-hello" \
  -n 'procx --version' "$bin/procx --version" \
  -n 'pushx -driver local -in x' "$bin/pushx -driver local -in x" \
  -n 'procx local, no child (prints payload)' "$bin/procx -driver local -log-level warn" \
  -n 'procx local round trip (child: true)' "$bin/procx -driver local -log-level warn true" \
  --export-json "$tmp/startup.json" >&2
python3 - "$tmp/startup.json" > "$results" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
ref = next(r for r in rows if r["command"] == "Native AOT C# hello world")
print("| command | min | mean | mean / AOT hello world |")
print("|:---|---:|---:|---:|")
for r in rows:
    print(f"| {r['command']} | {r['min'] * 1000:.1f} ms | {r['mean'] * 1000:.1f} ms | {r['mean'] / ref['mean']:.2f} |")
PY
cat "$results"
