#!/usr/bin/env bash
# Packs procx and pushx as framework-dependent dotnet tool packages (procx.<version>.nupkg, pushx.<version>.nupkg)
# into a folder that works as a local feed:
#   dotnet tool install -g procx --add-source <feed>      (or --tool-path DIR)
# Usage: scripts/pack-tool.sh [feed-dir] [version]   (default artifacts/nupkg; <Version> of Directory.Build.props)
# Builds in its own artifacts folder (--artifacts-path), so the AOT publish's obj/ folders are left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
feed=${1:-$root/artifacts/nupkg}
version=${2:-}
version=${version#v}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
mkdir -p "$feed"
for tool in Procx Pushx; do
  dotnet pack "$root/src/$tool/$tool.csproj" -c Release --nologo -v quiet -p:ToolPackage=true \
    ${version:+-p:Version=$version} --artifacts-path "$build" -o "$feed"
done
ls "$feed"
