# etcd 3.4 for the etcd driver's tests (sourced by tests/services/start.sh). Two members of their own:
#  - plain:  client 127.0.0.1:12379, peer 12380, no auth;
#  - secure: client https://127.0.0.1:12381 (self-signed certificate), peer 12382, auth enabled
#            (user procx / password procx-pw with the readwrite role, root / root-pw).
# Exports PROCX_TEST_ETCD=127.0.0.1:12379, PROCX_TEST_ETCD_TLS=127.0.0.1:12381, PROCX_TEST_ETCD_CA (the
# certificate), PROCX_TEST_ETCD_USER/PASSWORD, and ETCD_SERVER_BIN (the e2e restart test runs its own member).

etcd_packages() { echo "etcd-server etcd-client openssl"; }

etcd_npm() { :; }

etcd_start() {
  local port=${PROCX_TEST_ETCD_PORT:-12379} peer=${PROCX_TEST_ETCD_PEER_PORT:-12380}
  local tport=${PROCX_TEST_ETCD_TLS_PORT:-12381} tpeer=${PROCX_TEST_ETCD_TLS_PEER_PORT:-12382}
  local dir="$SERVICES_ROOT/etcd"
  rm -rf "$dir"; mkdir -p "$dir"
  etcd --name t --data-dir "$dir/data" \
    --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "t=http://127.0.0.1:$peer"  --logger zap --log-outputs stderr 2>>"$dir/etcd.log" &
  remember_pid etcd $!

  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
  etcd --name s --data-dir "$dir/tls-data" \
    --listen-client-urls "https://127.0.0.1:$tport" --advertise-client-urls "https://127.0.0.1:$tport" \
    --cert-file "$dir/tls.crt" --key-file "$dir/tls.key" \
    --listen-peer-urls "http://127.0.0.1:$tpeer" --initial-advertise-peer-urls "http://127.0.0.1:$tpeer" \
    --initial-cluster "s=http://127.0.0.1:$tpeer" --logger zap --log-outputs stderr 2>>"$dir/etcd-tls.log" &
  remember_pid etcd $!

  wait_for "etcd on $port" 20 env ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$port" endpoint health
  local secure=(env ETCDCTL_API=3 etcdctl --endpoints="https://127.0.0.1:$tport" --cacert "$dir/tls.crt")
  wait_for "etcd (TLS) on $tport" 20 "${secure[@]}" endpoint health
  "${secure[@]}" user add root:root-pw >/dev/null
  "${secure[@]}" user add procx:procx-pw >/dev/null
  "${secure[@]}" role add readwrite >/dev/null
  "${secure[@]}" role grant-permission readwrite --prefix=true readwrite '' >/dev/null
  "${secure[@]}" user grant-role procx readwrite >/dev/null
  "${secure[@]}" auth enable >/dev/null
  {
    echo "export PROCX_TEST_ETCD=127.0.0.1:$port"
    echo "export PROCX_TEST_ETCD_TLS=127.0.0.1:$tport"
    echo "export PROCX_TEST_ETCD_CA=$dir/tls.crt"
    echo "export PROCX_TEST_ETCD_USER=procx"
    echo "export PROCX_TEST_ETCD_PASSWORD=procx-pw"
    echo "export ETCD_SERVER_BIN=$(command -v etcd)"
  } >> "$SERVICES_ENV"
}
