#!/usr/bin/env bash
# The test command (README and .ci/run): publishes the AOT executables, then runs every test project
# against them. Real services are found through PROCX_TEST_* env vars (tests/services/start.sh sets them);
# PROCX_TEST_REQUIRE_SERVICES=1 makes a missing service a failure instead of a skip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -f tests/services/.env ]; then
  # shellcheck disable=SC1091
  . tests/services/.env
fi
scripts/publish.sh "$root/artifacts/bin" >/dev/null
export PROCX_BIN_DIR="$root/artifacts/bin"
# The container image's runtime contract (Dockerfile): the published executables in a minimal Debian root
# file system under chroot. Needs root (debootstrap, chroot) and a Redis; PROCX_SKIP_CHROOT=1 skips it.
if [ "${PROCX_SKIP_CHROOT:-0}" != 1 ]; then
  tests/runtime/chroot-test.sh
fi
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
dotnet build Procx.sln -c Release --nologo -v quiet
status=0
dotnet test Procx.sln -c Release --no-build --nologo --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=$?
python3 "$root/scripts/summarize-trx.py" "$results" || status=1
scripts/test-bindings.sh || status=1
exit $status
