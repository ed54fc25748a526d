#!/usr/bin/env sh
# Installs what Native AOT needs to link procx and pushx, when it is missing:
#   Debian/Ubuntu: clang and zlib1g-dev (apt-get);  Alpine: clang, build-base, zlib-dev (apk);
#   macOS: the Xcode command line tools (checked, not installed);  Windows: nothing to do here (the
#   "Desktop development with C++" workload comes with the GitHub runner image and Visual Studio).
# Runs as root or through sudo. PROCX_SKIP_PREREQS=1 skips it (a machine set up by other means).
set -eu
[ "${PROCX_SKIP_PREREQS:-}" = 1 ] && exit 0

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    echo "prereqs: '$*' needs root; run it as root or install sudo (or set PROCX_SKIP_PREREQS=1)" >&2
    exit 1
  fi
}

case "$(uname -s)" in
  Linux)
    if command -v apt-get >/dev/null 2>&1; then
      missing=""
      command -v clang >/dev/null 2>&1 || missing="$missing clang"
      dpkg -s zlib1g-dev >/dev/null 2>&1 || missing="$missing zlib1g-dev"
      if [ -n "$missing" ]; then
        echo "prereqs: installing$missing (Native AOT links with clang against zlib)" >&2
        as_root apt-get update -q >&2
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends $missing >&2
      fi
    elif command -v apk >/dev/null 2>&1; then
      missing=""
      command -v clang >/dev/null 2>&1 || missing="$missing clang"
      apk info -e build-base >/dev/null 2>&1 || missing="$missing build-base"
      apk info -e zlib-dev >/dev/null 2>&1 || missing="$missing zlib-dev"
      if [ -n "$missing" ]; then
        echo "prereqs: installing$missing (Native AOT on musl)" >&2
        # shellcheck disable=SC2086
        as_root apk add --no-cache $missing >&2
      fi
    else
      command -v clang >/dev/null 2>&1 || {
        echo "prereqs: clang and the zlib headers are needed for Native AOT; install them with your package manager" >&2
        exit 1
      }
    fi
    ;;
  Darwin)
    xcode-select -p >/dev/null 2>&1 || {
      echo "prereqs: Native AOT on macOS needs the Xcode command line tools: run 'xcode-select --install'" >&2
      exit 1
    }
    ;;
esac
