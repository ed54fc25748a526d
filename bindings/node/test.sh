#!/usr/bin/env bash
# The Node.js binding's tests (node --test, TAP on stdout) and the sample in samples/node, against the
# executables in $PROCX_BIN / $PUSHX_BIN (else procx / pushx from PATH). The redis tests use
# $PROCX_TEST_REDIS (host:port); unset, they are skipped with a reason, or fail with
# PROCX_TEST_REQUIRE_SERVICES=1. Exits non-zero on any failure. No npm install: the package has no
# dependencies, and the sample finds it through a temporary NODE_PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "test.sh: node not found; the binding needs Node.js 20 or later" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "test.sh: Node.js $(node --version) is too old; the binding needs 20 or later" >&2
  exit 1
fi
for tool in procx pushx; do
  var=$(echo "$tool" | tr a-z A-Z)_BIN
  exe=${!var:-$tool}
  if ! version=$("$exe" -v 2>/dev/null); then
    echo "test.sh: cannot run $tool ($exe): set $var to the executable" >&2
    exit 1
  fi
  echo "# $tool: $exe ($version)"
done

status=0
cd "$here"
# One test may not hang the run: a take() whose procx never ends its stdout would wait forever.
node --test --test-reporter=tap --test-timeout=120000 test/*.test.js || status=1

# The sample, as a user runs it, with the package found by name, and without the test settings (procx warns
# about PROCX_* variables it does not know, such as PROCX_TEST_REDIS).
modules=$(mktemp -d)
trap 'rm -rf "$modules"' EXIT
ln -s "$here" "$modules/procx-dotnet"
unset_test=()
while IFS= read -r name; do unset_test+=(-u "$name"); done < <(compgen -e | grep '^PROCX_TEST_' || true)
if out=$(cd "$root/samples/node" && env "${unset_test[@]}" NODE_PATH="$modules" timeout 120 node example.js 2>&1) &&
   grep -qx 'sample ok' <<<"$out"; then
  echo "ok - samples/node/example.js"
else
  status=1
  echo "not ok - samples/node/example.js"
fi
sed 's/^/# /' <<<"$out"
exit $status
