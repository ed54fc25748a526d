#!/usr/bin/env bash
# The runtime contract of the Dockerfile's image, without a container engine: a Debian 12 root file system
# with only what the Dockerfile's runtime stage installs (debootstrap --variant=minbase + ca-certificates,
# libssl3, the non-root user), the published executables copied in, and under chroot as that user:
#   1. a local job (procx runs a child with the payload; pushx writes to stdout),
#   2. a redis-list round trip against a real Redis ($PROCX_TEST_REDIS, default 127.0.0.1:16379),
#   3. TLS found through the system CA store: Redis behind a TLS proxy whose certificate a private CA signed;
#      refused before the CA is in the chroot's store, accepted after update-ca-certificates.
# Usage: sudo tests/runtime/chroot-test.sh    (root: debootstrap and chroot need it)
#   PROCX_BIN_DIR   the published linux-x64 procx/pushx (default artifacts/bin)
#   PROCX_ROOTFS    where the root file system is cached (default /tmp/procx-rootfs-bookworm)
#   PROCX_DEBIAN_MIRROR  the Debian mirror (default: the first bookworm URI in apt's sources, else deb.debian.org)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PROCX_BIN_DIR:-$repo/artifacts/bin}
rootfs=${PROCX_ROOTFS:-/tmp/procx-rootfs-bookworm}
redis=${PROCX_TEST_REDIS:-127.0.0.1:16379}
# The packages the Dockerfile's runtime stage installs, and nothing else: keep the two in step.
packages=ca-certificates,libssl3

if [ "$(id -u)" != 0 ]; then exec sudo --preserve-env=PROCX_BIN_DIR,PROCX_ROOTFS,PROCX_TEST_REDIS,PROCX_DEBIAN_MIRROR "$0" "$@"; fi
[ -x "$bin/procx" ] && [ -x "$bin/pushx" ] || { echo "chroot-test: no published procx/pushx in $bin (scripts/publish.sh)" >&2; exit 66; }
grep -q "apt-get install -y --no-install-recommends $(echo "$packages" | tr ',' ' ')" "$repo/Dockerfile" \
  || { echo "chroot-test: the Dockerfile's runtime packages are no longer '$packages': update this test" >&2; exit 1; }

fail() { echo "chroot-test: FAIL: $*" >&2; exit 1; }
pass() { echo "chroot-test: ok: $*"; }

# --- the root file system, cached (debootstrap takes a minute or two the first time) ---
if [ ! -f "$rootfs/.procx-complete" ]; then
  command -v debootstrap >/dev/null || { apt-get update -q; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap; }
  mirror=${PROCX_DEBIAN_MIRROR:-$(grep -h -o -E '(URIs:|deb) +https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | awk 'NR == 1 {print $2}' || true)}
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "chroot-test: debootstrap bookworm (minbase + $packages) from $mirror into $rootfs" >&2
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >&2 \
    || fail "debootstrap could not build bookworm from $mirror (set PROCX_DEBIAN_MIRROR)"
  chroot "$rootfs" useradd --uid 10001 --user-group --home-dir /work --create-home --shell /usr/sbin/nologin procx
  touch "$rootfs/.procx-complete"
fi
install -m 755 "$bin/procx" "$bin/pushx" "$rootfs/usr/local/bin/"
# A container engine writes /etc/hosts into every container; debootstrap leaves none, so write what it would.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$rootfs/etc/hosts"
rm -f "$rootfs/usr/local/share/ca-certificates/procx-test-ca.crt"
chroot "$rootfs" update-ca-certificates --fresh >/dev/null 2>&1

work=$(mktemp -d)
mountpoint -q "$rootfs/proc" || mount -t proc proc "$rootfs/proc"
proxy_pid=""
cleanup() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null || true
  umount "$rootfs/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Runs a command in the chroot as the image's user, with a clean environment plus the given VAR=value pairs.
as_user() { chroot --userspec=10001:10001 "$rootfs" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/work "$@"; }

# --- 1. a local job ---
out=$(as_user PROCX_PAYLOAD='{"job":"local"}' procx -driver local -pass-work-as-stdin cat 2>"$work/err") || fail "local job exited $?: $(cat "$work/err")"
[ "$out" = '{"job":"local"}' ] || fail "local job printed '$out'"
out=$(printf '{"pushed":1}' | as_user pushx -driver local) || fail "pushx -driver local exited $?"
[ "$out" = '{"pushed":1}' ] || fail "pushx -driver local printed '$out'"
pass "local job and pushx -driver local as uid 10001"

# --- 2. a redis-list round trip ---
host=${redis%:*}; port=${redis##*:}
key="procx-chroot-$$-$RANDOM"
printf '{"job":"redis"}' | as_user pushx -driver redis-list -redis-host "$host" -redis-port "$port" -redis-key "$key" \
  || fail "pushx to redis-list $redis exited $?"
out=$(as_user procx -driver redis-list -redis-host "$host" -redis-port "$port" -redis-key "$key" -pass-work-as-stdin cat 2>"$work/err") \
  || fail "procx from redis-list exited $?: $(cat "$work/err")"
[ "$out" = '{"job":"redis"}' ] || fail "the redis-list job printed '$out'"
if command -v redis-cli >/dev/null; then
  [ "$(redis-cli -h "$host" -p "$port" LLEN "$key")" = 0 ] || fail "the cleared item is still in $key"
fi
pass "redis-list push and job against $redis"

# --- 3. TLS through the system CA store ---
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=procx test CA" -keyout "$work/ca.key" -out "$work/ca.crt" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$work/ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
  -extfile "$work/ext" -out "$work/server.crt" 2>/dev/null
tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$repo/tests/runtime/tls-proxy.py" "$tls_port" "$host" "$port" "$work/server.crt" "$work/server.key" &
proxy_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && break; sleep 0.1; done
tls_push() { printf '{"job":"tls"}' | as_user pushx -driver redis-list -redis-host localhost -redis-port "$tls_port" -redis-enable-tls -redis-key "$key-tls" 2>"$work/err"; }
if tls_push; then fail "TLS to a server signed by an unknown CA was accepted: the chroot is not verifying certificates"; fi
# The control: the same connection without verification works, so the refusal above was the certificate.
printf '{"job":"control"}' | as_user pushx -driver redis-list -redis-host localhost -redis-port "$tls_port" -redis-enable-tls -redis-tls-skip-verify -redis-key "$key-control" 2>"$work/err" \
  || fail "TLS without verification failed too, so the proxy or the network is broken: $(cat "$work/err")"
command -v redis-cli >/dev/null && redis-cli -h "$host" -p "$port" DEL "$key-control" >/dev/null
pass "TLS refused while the CA is not in the store (and accepted with -redis-tls-skip-verify)"
install -m 644 "$work/ca.crt" "$rootfs/usr/local/share/ca-certificates/procx-test-ca.crt"
chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
tls_push || fail "TLS with the CA in the chroot's store failed: $(cat "$work/err")"
out=$(as_user procx -driver redis-list -redis-host localhost -redis-port "$tls_port" -redis-enable-tls -redis-key "$key-tls" -pass-work-as-stdin cat 2>"$work/err") \
  || fail "procx over TLS exited $?: $(cat "$work/err")"
[ "$out" = '{"job":"tls"}' ] || fail "the TLS job printed '$out'"
pass "TLS accepted once the CA is in /etc/ssl/certs (update-ca-certificates); a job over TLS ran"
rm -f "$rootfs/usr/local/share/ca-certificates/procx-test-ca.crt"
chroot "$rootfs" update-ca-certificates --fresh >/dev/null 2>&1
echo "chroot-test: all passed"
