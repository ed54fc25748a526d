#!/bin/sh
# Installs procx and pushx from a release: detects the OS and architecture, downloads
# procx_<version>_<os>_<arch>.tar.gz, verifies it against the release's SHA256SUMS, and puts both tools
# into $PREFIX/bin.
#
#   curl -fsSL https://github.com/procx-dotnet/procx/releases/latest/download/install.sh | sh
#   sh install.sh [version]              # e.g. 0.2.0 or v0.2.0; default: the latest release
#
# Environment:
#   PREFIX                   install into $PREFIX/bin (default /usr/local as root, ~/.local otherwise)
#   PROCX_VERSION            the version, when not given as the argument
#   PROCX_INSTALL_BASE_URL   where the releases are (default https://github.com/procx-dotnet/procx/releases).
#                            The layout is GitHub's: <base>/download/v<version>/<file> and
#                            <base>/latest/download/<file>; file:// and http:// URLs work (mirrors, tests).
# Exit codes: 0 installed; 1 download or install failed; 2 usage; 3 unsupported platform;
#             4 checksum mismatch or the archive is not listed in SHA256SUMS.
set -eu

base=${PROCX_INSTALL_BASE_URL:-https://github.com/procx-dotnet/procx/releases}
base=${base%/}
version=${1:-${PROCX_VERSION:-latest}}
version=${version#v}

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() { code=$1; shift; say "error: $*"; exit "$code"; }

case "$version" in
  -h|--help|help) sed -n '2,17p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//'; exit 0 ;;
  latest|[0-9]*) ;;
  *) die 2 "'$version' is not a version (expected e.g. 0.2.0, v0.2.0 or latest)" ;;
esac

# --- platform: the release names follow the Go originals' (linux, darwin; amd64, arm64) ---
case "$(uname -s)" in
  Linux)
    os=linux
    # Alpine and other musl systems get the musl build (the glibc one does not start there).
    if [ -f /etc/alpine-release ] || (ldd --version 2>&1 | grep -qi musl); then os=linux-musl; fi ;;
  Darwin) os=darwin ;;
  MINGW*|MSYS*|CYGWIN*)
    die 3 "Windows is not handled by this script: download procx_<version>_windows_amd64.zip from the release and unzip it onto your PATH (or: dotnet tool install -g procx)" ;;
  *) die 3 "unsupported operating system '$(uname -s)': releases exist for Linux and macOS (or build from source: scripts/publish.sh)" ;;
esac
case "$(uname -m)" in
  x86_64|amd64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) die 3 "unsupported architecture '$(uname -m)': releases exist for amd64 and arm64 (or build from source: scripts/publish.sh)" ;;
esac

# --- tools ---
fetch() { # fetch URL FILE
  case "$1" in
    file://*) cp "${1#file://}" "$2" 2>/dev/null ;;
    *)
      if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 3 -o "$2" "$1"
      elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" "$1"
      else die 1 "neither curl nor wget is installed; install one of them"
      fi ;;
  esac
}
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  else die 1 "no sha256sum, shasum or openssl to verify the download with"
  fi
}

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t procx)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if [ "$version" = latest ]; then
  where="$base/latest/download"
  fetch "$where/VERSION" "$tmp/VERSION" || die 1 "cannot find the latest release at $where/VERSION (set PROCX_VERSION, or PROCX_INSTALL_BASE_URL for a mirror)"
  version=$(tr -d ' \r\n' < "$tmp/VERSION")
  version=${version#v}
else
  where="$base/download/v$version"
fi

archive="procx_${version}_${os}_${arch}.tar.gz"
say "installing procx $version ($os/$arch) from $where"
fetch "$where/SHA256SUMS" "$tmp/SHA256SUMS" || die 1 "cannot download $where/SHA256SUMS (is $version a release?)"
expected=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
if [ -z "$expected" ]; then
  builds=$(awk '{ f = $2; sub(/^\*/, "", f); if (match(f, /^procx_[^_]*_/)) { f = substr(f, RLENGTH + 1); sub(/\.(tar\.gz|zip)$/, "", f); printf "%s ", f } }' "$tmp/SHA256SUMS")
  die 3 "release $version has no build for $os/$arch (it has: ${builds:-none})"
fi
fetch "$where/$archive" "$tmp/$archive" || die 1 "cannot download $where/$archive"
actual=$(sha256 "$tmp/$archive")
[ "$actual" = "$expected" ] || die 4 "checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual; nothing was installed"

mkdir -p "$tmp/x"
tar -xzf "$tmp/$archive" -C "$tmp/x" || die 1 "cannot unpack $archive"

# --- install ---
if [ -z "${PREFIX:-}" ]; then
  if [ "$(id -u)" = 0 ]; then PREFIX=/usr/local; else PREFIX="$HOME/.local"; fi
fi
bindir="$PREFIX/bin"
mkdir -p "$bindir" || die 1 "cannot create $bindir (set PREFIX to a folder you can write)"
for tool in procx pushx; do
  [ -f "$tmp/x/$tool" ] || die 1 "$archive holds no $tool"
  # Copy next to the target, then rename: a running procx keeps its old file, nothing sees half a file.
  cp "$tmp/x/$tool" "$bindir/.$tool.new.$$" && chmod 755 "$bindir/.$tool.new.$$" \
    && mv -f "$bindir/.$tool.new.$$" "$bindir/$tool" || { rm -f "$bindir/.$tool.new.$$"; die 1 "cannot write $bindir/$tool (set PREFIX to a folder you can write)"; }
done
say "installed $bindir/procx and $bindir/pushx"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) say "note: $bindir is not on your PATH; add it, e.g. export PATH=\"$bindir:\$PATH\"" ;;
esac
