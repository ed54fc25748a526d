#!/usr/bin/env bash
# Memory benchmark: peak RSS of pushx and procx moving one large item through each driver that runs here
# against a real server. pushx reads the item from a file on stdin (from a pipe with MEMORY_BENCH_PIPE=1);
# procx hands it to a child on stdin (-pass-work-as-stdin) that keeps the bytes; the script checks their
# count and SHA-256 against the file.
# Prints one table (peak RSS per tool, and its ratio to the item) and writes it to bench/results/memory.md.
#
# Usage: bench/memory.sh [bin-dir] [MiB] [driver…]
#   bin-dir  where procx and pushx are (default artifacts/bin; published if missing)
#   MiB      item size (default 100); drivers whose provider caps an item use their cap instead
#   driver…  fs redis-list redis-stream aws-s3 aws-sqs postgres mysql (default: all)
# Servers: the addresses tests/services/start.sh exports (its .env, or $PROCX_SERVICES_ENV).
# Needs GNU time (/usr/bin/time, Debian package `time`), redis-cli, psql, mariadb, curl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
mib=${2:-100}
shift $(( $# < 2 ? $# : 2 ))
drivers=(fs redis-list redis-stream aws-s3 aws-sqs postgres mysql)
[ $# -eq 0 ] || drivers=("$@")
[ -x "$bin/procx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
[ -x /usr/bin/time ] || { echo "memory.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
envfile=${PROCX_SERVICES_ENV:-$root/tests/services/.env}
[ -f "$envfile" ] || { echo "memory.sh: no $envfile: run tests/services/start.sh, or set PROCX_SERVICES_ENV" >&2; exit 1; }
# shellcheck disable=SC1090
. "$envfile"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
run_id=membench$$
redis_host=${PROCX_TEST_REDIS%:*} redis_port=${PROCX_TEST_REDIS#*:}
field() { sed -n "s/.*$1=\([^;]*\).*/\1/p" <<< "$2"; }
pg_port=$(field Port "$PROCX_TEST_POSTGRES") my_port=$(field Port "$PROCX_TEST_MARIADB")
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export PGPASSWORD=test PGOPTIONS='--client-min-messages=warning'

# Provider caps: SQS takes 256 KiB per message; MariaDB here has max_allowed_packet 64M (one row per packet).
size_for() {
  case $1 in
    aws-sqs) echo $((256 * 1024)) ;;
    mysql) echo $(( (mib < 48 ? mib : 48) * 1024 * 1024 )) ;;
    *) echo $((mib * 1024 * 1024)) ;;
  esac
}

# The item: printable text (base64 of random bytes), since SQL text columns and SQS bodies take only text.
# Binary payloads take the same paths through Redis, files and S3 (tests/Drivers.Redis.Tests/RedisLargeItemTests.cs
# moves a binary one through redis-list).
# Sizes are multiples of 4: base64 of exactly 3/4 of them is exactly that long, with no padding.
make_item() { head -c "$(( $1 * 3 / 4 ))" /dev/urandom | base64 -w0 > "$dir/item"; }

# Per-driver flags: $push_args for pushx, $take_args for procx; setup_X prepares the server.
setup_fs() {
  mkdir -p "$dir/fs"
  push_args=(-driver fs -fs-folder "$dir/fs" -fs-key item)
  take_args=(-driver fs -fs-folder "$dir/fs" -fs-key item -fs-clear-op rm)
}
setup_redis-list() {
  redis-cli -h "$redis_host" -p "$redis_port" del "$run_id" >/dev/null
  push_args=(-driver redis-list -redis-host "$redis_host" -redis-port "$redis_port" -redis-key "$run_id")
  take_args=("${push_args[@]}")
}
setup_redis-stream() {
  redis-cli -h "$redis_host" -p "$redis_port" del "$run_id-s" >/dev/null
  push_args=(-driver redis-stream -redis-host "$redis_host" -redis-port "$redis_port" -redis-key "$run_id-s")
  take_args=("${push_args[@]}" -redis-stream-clear-op del)
}
setup_aws-s3() {
  curl -sf -X PUT "$PROCX_TEST_S3/$run_id" -o /dev/null
  push_args=(-driver aws-s3 -aws-endpoint-url "$PROCX_TEST_S3" -aws-s3-bucket "$run_id" -aws-s3-key item)
  take_args=("${push_args[@]}" -aws-s3-clear-op rm)
}
setup_aws-sqs() {
  local url
  url=$(curl -sf -X POST -H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: AmazonSQS.CreateQueue' \
    -d "{\"QueueName\":\"$run_id\"}" "$PROCX_TEST_SQS/" | sed 's/.*"QueueUrl":"\([^"]*\)".*/\1/')
  push_args=(-driver aws-sqs -aws-endpoint-url "$PROCX_TEST_SQS" -aws-sqs-queue-url "$url")
  take_args=("${push_args[@]}")
}
setup_postgres() {
  psql -h 127.0.0.1 -p "$pg_port" -U test -d procx_test -qc "DROP TABLE IF EXISTS $run_id; CREATE TABLE $run_id (id serial PRIMARY KEY, work text)"
  local conn=(-psql-host 127.0.0.1 -psql-port "$pg_port" -psql-user test -psql-password test -psql-database procx_test)
  push_args=(-driver postgres "${conn[@]}" -psql-query "INSERT INTO $run_id (work) VALUES (\$1)" -psql-params '{{pushx_payload}}')
  take_args=(-driver postgres "${conn[@]}" -psql-retrieve-query "SELECT id, work FROM $run_id ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
    -psql-retrieve-field work -psql-clear-query "DELETE FROM $run_id WHERE id = \$1" -psql-clear-params '{{0.id}}')
}
setup_mysql() {
  mariadb --protocol=tcp -h127.0.0.1 -P"$my_port" -utest -ptest procx_test -e "DROP TABLE IF EXISTS $run_id; CREATE TABLE $run_id (id int AUTO_INCREMENT PRIMARY KEY, work LONGTEXT)"
  local conn=(-mysql-host 127.0.0.1 -mysql-port "$my_port" -mysql-user test -mysql-password test -mysql-database procx_test -mysql-ssl-mode disable)
  push_args=(-driver mysql "${conn[@]}" -mysql-query "INSERT INTO $run_id (work) VALUES (?)" -mysql-params '{{pushx_payload}}')
  take_args=(-driver mysql "${conn[@]}" -mysql-retrieve-query "SELECT id, work FROM $run_id ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
    -mysql-retrieve-field work -mysql-clear-query "DELETE FROM $run_id WHERE id = ?" -mysql-clear-params '{{0.id}}')
}
teardown() {
  case $1 in
    aws-s3) curl -s -X DELETE "$PROCX_TEST_S3/$run_id/item" -o /dev/null; curl -s -X DELETE "$PROCX_TEST_S3/$run_id" -o /dev/null ;;
    postgres) psql -h 127.0.0.1 -p "$pg_port" -U test -d procx_test -qc "DROP TABLE IF EXISTS $run_id" ;;
    mysql) mariadb --protocol=tcp -h127.0.0.1 -P"$my_port" -utest -ptest procx_test -e "DROP TABLE IF EXISTS $run_id" ;;
    redis-list) redis-cli -h "$redis_host" -p "$redis_port" del "$run_id" "$run_id:dead" >/dev/null ;;
    redis-stream) redis-cli -h "$redis_host" -p "$redis_port" del "$run_id-s" >/dev/null ;;
  esac
}

# Peak RSS in KiB of one command (GNU time's %M), its exit code checked.
peak() {
  local out=$1; shift
  if ! /usr/bin/time -f %M -o "$out" "$@"; then
    echo "memory.sh: failed: ${*:1:3} …" >&2
    return 1
  fi
  tail -n 1 "$out"
}
ratio() { python3 -c "import sys; print(f'{int(sys.argv[1]) * 1024 / int(sys.argv[2]):.2f}')" "$1" "$2"; }
mb() { echo $(( ($1 + 512) / 1024 )); }

results="$root/bench/results/memory.md"
mkdir -p "$(dirname "$results")"
emit() { echo "$@" | tee -a "$results"; }
: > "$results"
failed=0
emit "One item per driver, peak RSS (GNU time %M), $(nproc) cores, $(date -u +%Y-%m-%d), binaries: ${bin#"$root"/}, pushx stdin: $([ -n "${MEMORY_BENCH_PIPE:-}" ] && echo a pipe || echo a file)."
emit
emit "| driver | item MiB | pushx peak MiB | pushx ratio | procx peak MiB | procx ratio | bytes and SHA-256 |"
emit "|:---|---:|---:|---:|---:|---:|:---|"
for driver in "${drivers[@]}"; do
  size=$(size_for "$driver")
  make_item "$size"
  want=$(sha256sum < "$dir/item" | cut -c1-64)
  "setup_$driver"
  if [ -n "${MEMORY_BENCH_PIPE:-}" ]; then
    push_kb=$(cat "$dir/item" | peak "$dir/push.time" "$bin/pushx" "${push_args[@]}" -log-level warn) || { failed=1; teardown "$driver"; continue; }
  else
    push_kb=$(peak "$dir/push.time" "$bin/pushx" "${push_args[@]}" -log-level warn < "$dir/item") || { failed=1; teardown "$driver"; continue; }
  fi
  # The child keeps what it got on stdin; its size and hash are checked after procx exits.
  take_kb=$(peak "$dir/take.time" "$bin/procx" "${take_args[@]}" -log-level warn -pass-work-as-stdin \
    sh -c 'exec cat > "$0"' "$dir/got" </dev/null) || { failed=1; teardown "$driver"; continue; }
  got_n=$(wc -c < "$dir/got") got_sum=$(sha256sum < "$dir/got" | cut -c1-64)
  check=ok
  [ "$got_n" = "$size" ] && [ "$got_sum" = "$want" ] || { check="MISMATCH ($got_n bytes)"; failed=1; }
  emit "$(printf '| %s | %s | %s | %s | %s | %s | %s |' "$driver" \
    "$(python3 -c "print(f'{$size / 1048576:g}')")" \
    "$(mb "$push_kb")" "$(ratio "$push_kb" "$size")" "$(mb "$take_kb")" "$(ratio "$take_kb" "$size")" "$check")"
  teardown "$driver"
  rm -f "$dir/got"
done
exit $failed
