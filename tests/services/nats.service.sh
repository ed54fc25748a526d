# NATS 2.9 with JetStream for the nats driver tests (sourced by tests/services/start.sh).
# Client port 127.0.0.1:14222 with its HTTP monitoring on 14223, JetStream file storage in a temporary directory.
# Exports PROCX_TEST_NATS=127.0.0.1:14222, PROCX_TEST_NATS_MONITOR=127.0.0.1:14223 and NATS_SERVER_BIN (the
# end-to-end tests start servers of their own: a restart mid-drain, TLS and authentication).

nats_packages() { echo "nats-server"; }

nats_npm() { :; }

nats_start() {
  local port=${PROCX_TEST_NATS_PORT:-14222}
  local monitor=${PROCX_TEST_NATS_MONITOR_PORT:-14223}
  local dir="$SERVICES_ROOT/nats"
  rm -rf "$dir"; mkdir -p "$dir"
  nats-server -a 127.0.0.1 -p "$port" -m "$monitor" -js -sd "$dir" -l "$dir/nats.log" &
  remember_pid nats $!
  wait_for "nats-server on $port" 20 curl -fsS "http://127.0.0.1:$monitor/healthz?js-enabled-only=true"
  {
    echo "export PROCX_TEST_NATS=127.0.0.1:$port"
    echo "export PROCX_TEST_NATS_MONITOR=127.0.0.1:$monitor"
    echo "export NATS_SERVER_BIN=$(command -v nats-server)"
  } >> "$SERVICES_ENV"
}
