#!/usr/bin/env bash
# Runs a RabbitMQ node of its own in the foreground, on 127.0.0.1:AMQP_PORT, with its data in DIR (kept across
# runs, so starting it again over the same DIR is a broker restart that recovers the durable queues).
# The e2e test that restarts the broker mid-drain uses it, so the shared broker of rabbitmq.service.sh (which
# other test projects may be using at the same time, e.g. over STOMP) is never restarted under them.
# Usage: tests/services/rabbitmq-node.sh DIR AMQP_PORT DIST_PORT [NODE_NAME]; stop it with SIGTERM (graceful).
# CONSUMER_TIMEOUT_MS=N sets consumer_timeout, checked every 500 ms (the consumer_timeout test).
set -euo pipefail
dir=$1 amqp=$2 dist=$3 name=${4:-procx-restart}
mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users = none\n' "$amqp" > "$dir/rabbitmq.conf"
echo '[].' > "$dir/advanced.config"
if [ -n "${CONSUMER_TIMEOUT_MS:-}" ]; then
  echo "consumer_timeout = $CONSUMER_TIMEOUT_MS" >> "$dir/rabbitmq.conf"
  echo '[{rabbit, [{channel_tick_interval, 500}]}].' > "$dir/advanced.config"
fi
echo '[].' > "$dir/enabled_plugins"
: > "$dir/empty"
export HOME=$dir/home RABBITMQ_NODENAME=$name@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=$dist
export RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
export RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log RABBITMQ_PID_FILE=$dir/rabbit.pid
export RABBITMQ_CONF_ENV_FILE=$dir/empty
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
exec /usr/lib/rabbitmq/bin/rabbitmq-server
