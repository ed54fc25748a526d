#!/usr/bin/env bash
# The Python binding's tests and its sample, against the executables in $PROCX_BIN / $PUSHX_BIN (else procx /
# pushx on PATH); the redis-list tests use $PROCX_TEST_REDIS (host:port). Standard library only: python3 -m
# unittest. Exits non-zero on any failure; a run that hangs is stopped and counts as one.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}"
python3 --version
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
timeout 600 python3 -m unittest discover -v -s tests -t . 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
# One `ok <test>` line per passing test, the form scripts/test-bindings.sh counts.
sed -n 's/^\(test_[A-Za-z0-9_]*\) (\([^)]*\)) \.\.\. ok$/ok \2/p' "$log"
# The sample runs as a user would, without the tests' PROCX_TEST_* variables (procx warns about a PROCX_*
# variable that no setting reads).
echo "sample: samples/python/example.py"
if env -u PROCX_TEST_REDIS -u PROCX_TEST_REQUIRE_SERVICES timeout 60 python3 "$here/../../samples/python/example.py"; then
  echo "ok sample"
else
  echo "FAILED sample"; status=1
fi
exit $status
