#!/usr/bin/env bash
# The Go binding's whole suite and its sample (samples/go) against the executables in $PROCX_BIN and
# $PUSHX_BIN (else procx and pushx on PATH), the fs driver and the redis-server at $PROCX_TEST_REDIS
# (unset: the redis tests skip, saying so; a failure under PROCX_TEST_REQUIRE_SERVICES=1).
# Standard library only: nothing is fetched (GOPROXY=off). Exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export GOFLAGS=-mod=readonly GOPROXY=off GOSUMDB=off GOWORK=off
echo "go: $(go version); procx: ${PROCX_BIN:-procx on PATH}; pushx: ${PUSHX_BIN:-pushx on PATH}; redis: ${PROCX_TEST_REDIS:-unset}"

cd "$here"
test -z "$(gofmt -l .)" || { echo "gofmt: these files need formatting:"; gofmt -l .; exit 1; }
go vet ./...
status=0
go test -count=1 -timeout 300s -v ./... || status=1

# The sample uses the fs driver only; the tests' own PROCX_TEST_* settings are none of procx's.
cd "$here/../../samples/go"
test -z "$(gofmt -l .)" || { echo "gofmt: samples/go needs formatting"; exit 1; }
go vet .
if env -u PROCX_TEST_REDIS -u PROCX_TEST_REQUIRE_SERVICES timeout 120 go run .; then
  echo "sample: ok"
else
  echo "sample: FAILED"
  status=1
fi
exit $status
