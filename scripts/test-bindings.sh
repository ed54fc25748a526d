#!/usr/bin/env bash
# The language bindings' own tests (bindings/<language>/test.sh) against the published executables in
# $PROCX_BIN_DIR and the servers of tests/services/start.sh. Installs a missing toolchain (Debian's golang-go).
# Prints one line per binding; exits non-zero if any failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PROCX_BIN="${PROCX_BIN_DIR:?set PROCX_BIN_DIR}/procx" PUSHX_BIN="$PROCX_BIN_DIR/pushx"
if ! command -v go >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && ls "$root"/bindings/go/test.sh >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "bindings: apt-get install golang-go" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends golang-go >/dev/null
fi
status=0
for test in "$root"/bindings/*/test.sh; do
  [ -f "$test" ] || continue
  name=$(basename "$(dirname "$test")")
  if (cd "$(dirname "$test")" && bash ./test.sh) > "$root/artifacts/test-results/binding-$name.log" 2>&1; then
    echo "binding $name: passed ($(grep -cE '^(ok|PASS|--- PASS|# pass)' "$root/artifacts/test-results/binding-$name.log" || true) result lines)"
  else
    status=1
    echo "binding $name: FAILED; the end of its log:"
    tail -40 "$root/artifacts/test-results/binding-$name.log" | sed 's/^/    /'
  fi
done
# The .NET in-process sample (samples/dotnet), built with the solution in Release by scripts/test.sh.
sample="$root/samples/dotnet/bin/Release/net10.0/procx-client-sample.dll"
if [ -f "$sample" ]; then
  tmp=$(mktemp -d)
  if out=$(dotnet "$sample" "$tmp" 2>&1) && grep -q '"processed":"procx-client-sample"' <<< "$out" && [ -z "$(ls -A "$tmp/jobs")" ]; then
    echo "sample dotnet: passed"
  else
    status=1
    echo "sample dotnet: FAILED: $out"
  fi
  rm -rf "$tmp"
else
  status=1
  echo "sample dotnet: FAILED: $sample was not built"
fi
exit $status
