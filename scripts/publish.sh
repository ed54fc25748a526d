#!/usr/bin/env bash
# Publishes procx and pushx as Native AOT executables into artifacts/bin (or $1). They are one multi-call
# binary: procx, copied under the name pushx, is pushx (src/Procx/InvokedName.cs), and procx runs a child
# `pushx` that is this same file in process (src/Procx/InProcessPushx.cs). One AOT compile instead of two.
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
dotnet publish "$root/src/Procx/Procx.csproj" -c Release -r "$rid" -o "$out" --nologo -v quiet -p:DebugType=none "$@"
ext=""; case "$rid" in win-*) ext=.exe ;; esac
# A copy, not a link: archives, images and installers all keep a plain file.
cp -f "$out/procx$ext" "$out/pushx.tmp$ext" && mv -f "$out/pushx.tmp$ext" "$out/pushx$ext"
ls -la "$out"
