#!/usr/bin/env bash
# The test command: installs and starts every real server the tests use (tests/services/start.sh),
# runs all tests against the published AOT executables with missing services treated as failures,
# then stops the servers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tests/services/start.sh
trap 'tests/services/stop.sh' EXIT
export PROCX_TEST_REQUIRE_SERVICES=1
scripts/test.sh
