# MariaDB (10.11 on Debian 12) for the mysql driver tests (sourced by tests/services/start.sh).
# 127.0.0.1:13306, a temporary data directory, user/password test/test, database procx_test.
# max_allowed_packet is 64M so the 16 MiB conformance payload fits in one row.
# Exports PROCX_TEST_MARIADB as a MySqlConnector connection string.

mariadb_packages() { echo "mariadb-server mariadb-client"; }

mariadb_npm() { :; }

mariadb_start() {
  local port=${PROCX_TEST_MARIADB_PORT:-13306}
  local dir="$SERVICES_ROOT/mariadb" user=mysql
  [ "$(id -u)" -eq 0 ] || user=$(id -un)
  rm -rf "$dir"; mkdir -p "$dir"; chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown mysql:mysql "$dir"
  mariadb-install-db --no-defaults --user="$user" --datadir="$dir/data" \
    --auth-root-authentication-method=normal --skip-test-db >/dev/null
  mariadbd --no-defaults --user="$user" --datadir="$dir/data" --bind-address=127.0.0.1 --port="$port" \
    --socket="$dir/sock" --pid-file="$dir/pid" --skip-log-bin --innodb-flush-log-at-trx-commit=0 \
    --max-connections=300 --max-allowed-packet=64M > "$dir/mariadb.log" 2>&1 &
  remember_pid mariadb $!
  wait_for "mariadb on $port" 30 mariadb-admin --protocol=tcp -h127.0.0.1 -P"$port" -uroot ping
  # root has no password over TCP here; the tests use their own user.
  mariadb --protocol=tcp -h127.0.0.1 -P"$port" -uroot -e "CREATE DATABASE procx_test;
    CREATE USER 'test'@'%' IDENTIFIED BY 'test'; GRANT ALL ON procx_test.* TO 'test'@'%'; FLUSH PRIVILEGES;"
  echo "export PROCX_TEST_MARIADB='Server=127.0.0.1;Port=$port;User ID=test;Password=test;Database=procx_test'" >> "$SERVICES_ENV"
}
