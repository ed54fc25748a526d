# Redis 7 for the redis-list, redis-pubsub and redis-stream tests (sourced by tests/services/start.sh).
# Plain TCP on 127.0.0.1:16379, no persistence, a temporary data directory.
# Exports PROCX_TEST_REDIS=127.0.0.1:16379 and REDIS_SERVER_BIN (the e2e restart test uses it).

redis_packages() { echo "redis-server redis-tools"; }

redis_npm() { :; }

redis_start() {
  local port=${PROCX_TEST_REDIS_PORT:-16379}
  local dir="$SERVICES_ROOT/redis"
  rm -rf "$dir"; mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
    --logfile "$dir/redis.log" --daemonize no &
  remember_pid redis $!
  wait_for "redis-server on $port" 20 redis-cli -h 127.0.0.1 -p "$port" PING
  echo "export PROCX_TEST_REDIS=127.0.0.1:$port" >> "$SERVICES_ENV"
}
