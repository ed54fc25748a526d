#!/usr/bin/env bash
# Publishes procx and pushx as Native AOT executables into artifacts/bin (or $1).
# Usage: scripts/publish.sh [out-dir] [runtime-id] [extra dotnet publish arguments, e.g. -p:Version=1.2.3]
# Native AOT links with the platform's C toolchain: scripts/prereqs.sh installs clang and zlib1g-dev first
# when they are missing (PROCX_SKIP_PREREQS=1 skips that).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/prereqs.sh"
out=${1:-$root/artifacts/bin}
rid=${2:-linux-x64}
shift $(( $# > 2 ? 2 : $# ))
mkdir -p "$out"
for tool in Procx Pushx; do
  dotnet publish "$root/src/$tool/$tool.csproj" -c Release -r "$rid" -o "$out" --nologo -v quiet -p:DebugType=none "$@"
done
ls -la "$out"
