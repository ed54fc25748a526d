# s3rver 3.7 (npm): an S3 emulator on 127.0.0.1:4568, path-style only, keys S3RVER/S3RVER.
# Tests create their own bucket per test. It stores aws-chunked bodies raw, so the driver (and the tests'
# own client) turn off chunked signing and optional checksums when pointed at an endpoint (docs/aws.md).
s3_packages() { command -v npm >/dev/null || echo nodejs npm; }
s3_npm() { echo s3rver@3.7.1; }
s3_start() {
  local dir="$SERVICES_ROOT/s3" port=4568
  rm -rf "$dir"; mkdir -p "$dir/data"
  node "$SERVICES_ROOT/npm/node_modules/s3rver/bin/s3rver.js" -d "$dir/data" -a 127.0.0.1 -p "$port" \
    --configure-bucket procx-ready > "$dir/log" 2>&1 &
  remember_pid s3 $!
  wait_for "s3rver" 30 curl -sf "http://127.0.0.1:$port/procx-ready"
  echo "export PROCX_TEST_S3=http://127.0.0.1:$port" >> "$SERVICES_ENV"
}
