# PostgreSQL (15 on Debian 12, 16 on Ubuntu 24.04) for the postgres driver tests (sourced by tests/services/start.sh).
# 127.0.0.1:15432, a temporary cluster with fsync off, user/password test/test, database procx_test.
# Exports PROCX_TEST_POSTGRES as an Npgsql connection string.

# The newest installed server; the distribution's default version when none is.
postgres_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

postgres_packages() { [ -x "$(postgres_bin)/postgres" ] || echo "postgresql postgresql-client"; }

postgres_npm() { :; }

postgres_start() {
  local port=${PROCX_TEST_POSTGRES_PORT:-15432}
  local dir="$SERVICES_ROOT/postgres" bin
  bin=$(postgres_bin)
  # postgres refuses to run as root: every step runs as the package's postgres user, which must be able
  # to traverse every parent directory (start.sh makes $SERVICES_ROOT 755).
  local as_pg=()
  [ "$(id -u)" -eq 0 ] && as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups)
  rm -rf "$dir"; mkdir -p "$dir"; chmod 755 "$dir"
  echo test > "$dir/pw"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
  "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U test --pwfile="$dir/pw" -A scram-sha-256 -E UTF8 --no-sync >/dev/null
  # exec-style start: $! is the postmaster itself, so stop.sh's kill shuts it down cleanly.
  "${as_pg[@]}" "$bin/postgres" -D "$dir/data" -h 127.0.0.1 -p "$port" -k "$dir" -c fsync=off \
    -c max_connections=200 > "$dir/postgres.log" 2>&1 &
  remember_pid postgres $!
  wait_for "postgres on $port" 30 "$bin/pg_isready" -h 127.0.0.1 -p "$port"
  PGPASSWORD=test "$bin/psql" -h 127.0.0.1 -p "$port" -U test -d postgres -qc "CREATE DATABASE procx_test" >/dev/null
  echo "export PROCX_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=test;Password=test;Database=procx_test'" >> "$SERVICES_ENV"
}
