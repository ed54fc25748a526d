#!/usr/bin/env bash
# Builds the release archive for one runtime id, the same one the release workflow uploads:
#   artifacts/release/procx_<version>_<os>_<arch>.tar.gz   (.zip for win-* rids)
# holding procx, pushx, LICENSE and README.md at its root, and rewrites artifacts/release/SHA256SUMS
# (sha256sum format) over every archive in that folder, so archives of several rids can share it, and
# VERSION (the version alone, which install.sh reads to resolve "latest").
# Usage: scripts/package.sh [version] [rid]
#   version: defaults to <Version> in Directory.Build.props; a leading "v" (a tag) is dropped.
#   rid:     defaults to the host's (linux-x64, linux-arm64, linux-musl-x64, osx-arm64, osx-x64, win-x64).
#   PROCX_PREBUILT_BIN=dir  packages the executables already published there instead of publishing.
#   PROCX_RELEASE_DIR=dir   writes the archive and SHA256SUMS there (default artifacts/release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

host_rid() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux; if [ -f /etc/alpine-release ] || ldd --version 2>&1 | grep -qi musl; then os=linux-musl; fi ;;
    Darwin) os=osx ;;
    MINGW*|MSYS*|CYGWIN*) os=win ;;
    *) echo "package: unknown OS $(uname -s); pass the rid" >&2; exit 64 ;;
  esac
  case "$(uname -m)" in
    x86_64|amd64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "package: unknown architecture $(uname -m); pass the rid" >&2; exit 64 ;;
  esac
  echo "$os-$arch"
}

version=${1:-$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props" | head -1)}
version=${version#v}
rid=${2:-$(host_rid)}

# The release names follow the Go originals' (GOOS/GOARCH): linux, darwin, windows; amd64, arm64.
case "$rid" in
  linux-musl-*) os=linux-musl ;;
  linux-*) os=linux ;;
  osx-*) os=darwin ;;
  win-*) os=windows ;;
  *) echo "package: unsupported rid $rid" >&2; exit 64 ;;
esac
case "${rid##*-}" in
  x64) arch=amd64 ;;
  arm64) arch=arm64 ;;
  *) echo "package: unsupported architecture in rid $rid" >&2; exit 64 ;;
esac
ext=""; [ "$os" = windows ] && ext=.exe

release=${PROCX_RELEASE_DIR:-$root/artifacts/release}
mkdir -p "$release"
release=$(cd "$release" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

if [ -n "${PROCX_PREBUILT_BIN:-}" ]; then
  bin=$PROCX_PREBUILT_BIN
else
  bin="$root/artifacts/publish/$rid"
  "$root/scripts/publish.sh" "$bin" "$rid" "-p:Version=$version" >/dev/null
fi
for tool in procx pushx; do
  [ -f "$bin/$tool$ext" ] || { echo "package: $bin/$tool$ext not found" >&2; exit 66; }
  cp "$bin/$tool$ext" "$stage/"
  chmod 755 "$stage/$tool$ext"
done
cp "$root/LICENSE" "$root/README.md" "$stage/"

name="procx_${version}_${os}_${arch}"
if [ "$os" = windows ]; then
  archive="$name.zip"; rm -f "$release/$archive"
  if command -v zip >/dev/null 2>&1; then
    (cd "$stage" && zip -q -X "$release/$archive" ./*)
  else
    # Git Bash on the Windows runners has no zip; PowerShell does.
    (cd "$stage" && powershell -NoProfile -Command "Compress-Archive -Path * -DestinationPath '$(cygpath -w "$release/$archive")'")
  fi
else
  archive="$name.tar.gz"
  # Sorted names, numeric owner 0: the archive lists the same way wherever it was built.
  tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$release/$archive" procx pushx LICENSE README.md 2>/dev/null \
    || tar -C "$stage" -czf "$release/$archive" procx pushx LICENSE README.md   # bsdtar (macOS) has no --owner
fi

sha() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
(cd "$release" && shopt -s nullglob && archives=(procx_*.tar.gz procx_*.zip) && sha "${archives[@]}" | sort -k2 > SHA256SUMS)
# install.sh asks <release>/latest/download/VERSION which release is the latest.
echo "$version" > "$release/VERSION"
echo "$release/$archive"
