#!/usr/bin/env bash
# One-shot push latency: pushx against the server's own command-line client doing the same write on the
# same server, side by side in one hyperfine run (issue 16's reference). Prints hyperfine's table and the
# ratio per sink; writes bench/results/push.md.
# Usage: bench/push.sh [bin-dir]   (servers: tests/services/start.sh redis postgres mariadb sqs s3 mqtt etcd;
# needs hyperfine, redis-cli, psql, mariadb, curl, mosquitto_pub, etcdctl)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/artifacts/bin}
[ -x "$bin/pushx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
# shellcheck disable=SC1090
. "${PROCX_SERVICES_ENV:-$root/tests/services/.env}"
command -v hyperfine >/dev/null || { echo "push.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
redis_host=${PROCX_TEST_REDIS%:*} redis_port=${PROCX_TEST_REDIS#*:}
field() { sed -n "s/.*$1=\([^;]*\).*/\1/p" <<< "$2"; }
pg_port=$(field Port "$PROCX_TEST_POSTGRES")
export PGPASSWORD=test
psql -h 127.0.0.1 -p "$pg_port" -U test -d procx_test -qc "CREATE TABLE IF NOT EXISTS pushbench (work text)"
my_port=$(field Port "$PROCX_TEST_MARIADB")
mariadb -h 127.0.0.1 -P "$my_port" -u test -ptest procx_test -e "CREATE TABLE IF NOT EXISTS pushbench (work text)"
sqs=$PROCX_TEST_SQS
queue=$(curl -s -d "Action=CreateQueue&QueueName=pushbench" "$sqs/" | sed -n 's:.*<QueueUrl>\([^<]*\)</QueueUrl>.*:\1:p')
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
s3=$PROCX_TEST_S3
curl -s -o /dev/null -X PUT "$s3/pushbench"
mqtt_port=${PROCX_TEST_MQTT#*:} etcd=$PROCX_TEST_ETCD
out="$root/bench/results/push.md"
{
  echo "One-shot push, mean of hyperfine runs (-N, 5 warm-up, 40 runs), $(nproc) cores, $(date -u +%F), binaries: $bin."
  echo
  echo "| sink | pushx | reference | reference command | ratio |"
  echo "|:---|---:|---:|:---|---:|"
} > "$out"
row() { # name, pushx command, reference command
  local json; json=$(mktemp)
  env -u PROCX_TEST_MARIADB -u PROCX_TEST_POSTGRES -u PROCX_TEST_REDIS -u PROCX_TEST_S3 -u PROCX_TEST_SQS \
    hyperfine -N -w 5 -r 40 --export-json "$json" "$2" "$3" >&2
  python3 - "$json" "$1" "$3" >> "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
a, b = r[0]["mean"] * 1000, r[1]["mean"] * 1000
print(f"| {sys.argv[2]} | {a:.1f} ms | {b:.1f} ms | `{sys.argv[3]}` | {a / b:.2f} |")
PY
  rm -f "$json"
}
row redis-list "$bin/pushx -driver redis-list -redis-host $redis_host -redis-port $redis_port -redis-key pushbench -in x" \
  "redis-cli -h $redis_host -p $redis_port rpush pushbench x"
row postgres "$bin/pushx -driver postgres -psql-host 127.0.0.1 -psql-port $pg_port -psql-user test -psql-password test -psql-database procx_test -psql-query 'INSERT INTO pushbench (work) VALUES (\$1)' -psql-params x" \
  "psql -h 127.0.0.1 -p $pg_port -U test -d procx_test -qc 'INSERT INTO pushbench (work) VALUES (\$\$x\$\$)'"
row mariadb "$bin/pushx -driver mysql -mysql-host 127.0.0.1 -mysql-port $my_port -mysql-user test -mysql-password test -mysql-database procx_test -mysql-query 'INSERT INTO pushbench (work) VALUES (?)' -mysql-params x" \
  "mariadb -h 127.0.0.1 -P $my_port -u test -ptest procx_test -e 'INSERT INTO pushbench (work) VALUES (\"x\")'"
# curl sends the emulator the same SendMessage unsigned; pushx signs it (SigV4), as it must for AWS.
row aws-sqs "$bin/pushx -driver aws-sqs -aws-endpoint-url $sqs -aws-sqs-queue-url $queue -in x" \
  "curl -s -o /dev/null -d Action=SendMessage&MessageBody=x $queue"
# curl PUTs the object unsigned; pushx signs it (SigV4).
row aws-s3 "$bin/pushx -driver aws-s3 -aws-endpoint-url $s3 -aws-s3-bucket pushbench -aws-s3-key k -in x" \
  "curl -s -o /dev/null -X PUT --data x $s3/pushbench/k"
# Both publish with QoS 1 and wait for the broker's PUBACK.
row mqtt "$bin/pushx -driver mqtt -mqtt-port $mqtt_port -mqtt-topic pushbench -log-level error -in x" \
  "mosquitto_pub -h 127.0.0.1 -p $mqtt_port -t pushbench -q 1 -m x"
row etcd "$bin/pushx -driver etcd -etcd-hosts $etcd -etcd-key pushbench -in x" \
  "etcdctl --endpoints $etcd put pushbench x"
redis-cli -h "$redis_host" -p "$redis_port" del pushbench >/dev/null
mariadb -h 127.0.0.1 -P "$my_port" -u test -ptest procx_test -e "DROP TABLE pushbench"
curl -s -o /dev/null -d "Action=DeleteQueue" "$queue"
psql -h 127.0.0.1 -p "$pg_port" -U test -d procx_test -qc "DROP TABLE pushbench"
cat "$out"
