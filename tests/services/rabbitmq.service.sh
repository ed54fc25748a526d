# RabbitMQ 3.10 for the rabbitmq tests (sourced by tests/services/start.sh), with the STOMP plugin (the stomp
# driver's tests may use it) and the management plugin (bench/rabbitmq.sh reads with rabbitmqadmin).
# AMQP 127.0.0.1:15673, AMQPS 127.0.0.1:15674 (a self-signed certificate made here), STOMP 127.0.0.1:61613,
# management HTTP 127.0.0.1:15675; epmd and Erlang distribution (25673) on loopback only; guest/guest.
# Exports PROCX_TEST_RABBITMQ=127.0.0.1:15673, PROCX_TEST_RABBITMQ_TLS=127.0.0.1:15674,
# PROCX_TEST_RABBITMQ_CA (the certificate), PROCX_TEST_RABBITMQ_STOMP=127.0.0.1:61613,
# PROCX_TEST_RABBITMQ_MANAGEMENT=127.0.0.1:15675 and PROCX_TEST_RABBITMQ_CTL: a script running rabbitmqctl
# against this node, and RABBITMQ_SERVER_BIN (the e2e restart test runs a node of its own with
# tests/services/rabbitmq-node.sh and restarts that one, never this shared broker).

rabbitmq_packages() { echo "rabbitmq-server openssl"; }

rabbitmq_npm() { :; }

rabbitmq_start() {
  local amqp=${PROCX_TEST_RABBITMQ_PORT:-15673} amqps=${PROCX_TEST_RABBITMQ_TLS_PORT:-15674}
  local stomp=${PROCX_TEST_RABBITMQ_STOMP_PORT:-61613} mgmt=${PROCX_TEST_RABBITMQ_MANAGEMENT_PORT:-15675}
  local dist=${RABBITMQ_DIST_PORT:-25673}
  local dir="$SERVICES_ROOT/rabbitmq"
  rm -rf "$dir"; mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  cat > "$dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$amqp
listeners.ssl.default = 127.0.0.1:$amqps
ssl_options.cacertfile = $dir/cert.pem
ssl_options.certfile = $dir/cert.pem
ssl_options.keyfile = $dir/key.pem
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
stomp.listeners.tcp.1 = 127.0.0.1:$stomp
management.tcp.ip = 127.0.0.1
management.tcp.port = $mgmt
loopback_users = none
EOF
  echo '[rabbitmq_stomp,rabbitmq_management].' > "$dir/enabled_plugins"
  : > "$dir/empty"
  # One environment for the server and every CLI tool pointed at it (rabbitmqctl needs the same cookie/HOME).
  cat > "$dir/env.sh" <<EOF
export HOME=$dir/home RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=$dist
export RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
export RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log RABBITMQ_PID_FILE=$dir/rabbit.pid
export RABBITMQ_CONF_ENV_FILE=$dir/empty
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
EOF
  printf '#!/bin/sh\n. %s/env.sh\nexec /usr/lib/rabbitmq/bin/rabbitmqctl -q "$@"\n' "$dir" > "$dir/ctl.sh"
  chmod +x "$dir/ctl.sh"
  # shellcheck disable=SC1091
  . "$dir/env.sh"
  if ! (exec 3<>/dev/tcp/127.0.0.1/4369) 2>/dev/null; then
    epmd -address 127.0.0.1 &
    remember_pid rabbitmq $!
  fi
  /usr/lib/rabbitmq/bin/rabbitmq-server > "$dir/server.log" 2>&1 &
  remember_pid rabbitmq $!
  wait_for "rabbitmq-server on $amqp" 60 /usr/lib/rabbitmq/bin/rabbitmq-diagnostics -q check_port_connectivity
  wait_for "rabbitmq AMQPS on $amqps" 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$amqps"
  remember_pid rabbitmq "$(cat "$dir/rabbit.pid")" # the Erlang VM, a child of the start script
  {
    echo "export PROCX_TEST_RABBITMQ=127.0.0.1:$amqp"
    echo "export PROCX_TEST_RABBITMQ_TLS=127.0.0.1:$amqps"
    echo "export PROCX_TEST_RABBITMQ_CA=$dir/cert.pem"
    echo "export PROCX_TEST_RABBITMQ_STOMP=127.0.0.1:$stomp"
    echo "export PROCX_TEST_RABBITMQ_MANAGEMENT=127.0.0.1:$mgmt"
    echo "export PROCX_TEST_RABBITMQ_CTL=$dir/ctl.sh"
    echo "export RABBITMQ_SERVER_BIN=/usr/lib/rabbitmq/bin/rabbitmq-server"
  } >> "$SERVICES_ENV"
}
