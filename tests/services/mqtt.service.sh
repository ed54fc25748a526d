# Mosquitto 2.0 for the mqtt tests (sourced by tests/services/start.sh).
# Plain MQTT on 127.0.0.1:11883 and MQTT over TLS on 127.0.0.1:11884 (a self-signed CA made here), anonymous.
# Persistence is on, in the temporary directory, so that the broker-restart test sees persistent sessions and
# their queued QoS 1 messages survive a restart (autosave on every change). No limit on queued messages per
# offline client (mosquitto's default of 1000 silently drops the rest).
# Exports PROCX_TEST_MQTT=127.0.0.1:11883, PROCX_TEST_MQTT_TLS=127.0.0.1:11884, PROCX_TEST_MQTT_CA (the CA's
# PEM file), and for the e2e restart test MOSQUITTO_BIN and MOSQUITTO_CONF.

mqtt_packages() { echo "mosquitto mosquitto-clients openssl"; }

mqtt_npm() { :; }

mqtt_start() {
  local port=${PROCX_TEST_MQTT_PORT:-11883}
  local tls_port=${PROCX_TEST_MQTT_TLS_PORT:-11884}
  local dir="$SERVICES_ROOT/mqtt"
  rm -rf "$dir"; mkdir -p "$dir/data"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=procx-test-ca" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
    -extfile "$dir/san.ext" -out "$dir/server.pem" 2>/dev/null
  chmod 644 "$dir"/*.key
  cat > "$dir/mosquitto.conf" <<CONF
per_listener_settings false
allow_anonymous true
persistence true
persistence_location $dir/data/
autosave_interval 1
autosave_on_changes true
max_queued_messages 0
user $(id -un)
log_dest file $dir/mosquitto.log
listener $port 127.0.0.1
listener $tls_port 127.0.0.1
cafile $dir/ca.pem
certfile $dir/server.pem
keyfile $dir/server.key
CONF
  mosquitto -c "$dir/mosquitto.conf" &
  remember_pid mqtt $!
  wait_for "mosquitto on $port" 20 mosquitto_sub -h 127.0.0.1 -p "$port" -t '$SYS/broker/version' -C 1 -W 2
  {
    echo "export PROCX_TEST_MQTT=127.0.0.1:$port"
    echo "export PROCX_TEST_MQTT_TLS=127.0.0.1:$tls_port"
    echo "export PROCX_TEST_MQTT_CA=$dir/ca.pem"
    echo "export MOSQUITTO_BIN=$(command -v mosquitto)"
    echo "export MOSQUITTO_CONF=$dir/mosquitto.conf"
  } >> "$SERVICES_ENV"
}
