#!/usr/bin/env bash
# Hosts, simulated honestly: N silos as separate machines on this one, each in its own network namespace with its own
# address on a private bridge, and Redis in another. Nothing here has a route off the bridge, and every address used is
# one this script gave a namespace it made. Needs root and `ip netns`; redis-server and a built Silo.dll.
#
#   netns-hosts.sh up N [SILO ARGS...]   bridge, Redis, N silos (extra args go to every silo)
#   netns-hosts.sh kill I | stop I       kill -9 silo I (a crash) | SIGTERM it (a graceful stop)
#   netns-hosts.sh start I [SILO ARGS...]  start silo I again (a fresh silo, same address)
#   netns-hosts.sh redis-cut | redis-mend   Redis unreachable (its link down) | reachable again
#   netns-hosts.sh redis-stop | redis-start  kill -9 Redis | start it again (its append-only file keeps the data)
#   netns-hosts.sh exec I CMD...         run CMD inside host I's namespace ("redis" for Redis's)
#   netns-hosts.sh addr I | redis-addr   the address of host I | HOST:PORT of Redis
#   netns-hosts.sh status | down         what runs | stop everything and remove the namespaces and bridge
#
#   netns-hosts.sh tls                   the client's TLS options (--tls-cert F --tls-ca F), for olm commands
#
# The silos listen on their bridge addresses, so they run with mutual TLS: `up` makes a cluster authority and a
# certificate per host and one for clients with `olm cert` (in OLM_STATE/tls).
# Environment: OLM_NET (name, at most 8 letters; default olm), OLM_SUBNET (first three octets; default 10.213.0),
# OLM_CLUSTER (cluster id; default OLM_NET), SILO_DLL and CLIENT_DLL (default: the repository's Debug builds), OLM_STATE
# (pid, log and certificate folder; default /tmp/olm-net-NAME). Silo I is OLM_SUBNET.(11+I), Redis OLM_SUBNET.2, this
# machine OLM_SUBNET.1.
set -euo pipefail

NAME=${OLM_NET:-olm}
SUBNET=${OLM_SUBNET:-10.213.0}
CLUSTER=${OLM_CLUSTER:-$NAME}
HERE=$(cd "$(dirname "$0")" && pwd)
SILO_DLL=${SILO_DLL:-$HERE/../bin/Debug/net10.0/Silo.dll}
CLIENT_DLL=${CLIENT_DLL:-$HERE/../../Client/bin/Debug/net10.0/Client.dll}
STATE=${OLM_STATE:-/tmp/olm-net-$NAME}
BRIDGE=${NAME}br
REDIS_NS=$NAME-redis

die() { echo "netns-hosts: $*" >&2; exit 1; }
[[ $NAME =~ ^[a-z][a-z0-9]{0,7}$ ]] || die "OLM_NET must be 1-8 lower-case letters or digits, got '$NAME'"
[[ $SUBNET =~ ^10\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "OLM_SUBNET must be 10.X.Y (a private /24 for the bridge), got '$SUBNET'"

ns() { echo "$NAME-h$1"; }
addr() { echo "$SUBNET.$((11 + $1))"; }
redis_addr() { echo "$SUBNET.2"; }

check() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
  ip netns list >/dev/null 2>&1 || die "ip netns is not available"
}

# A namespace with one veth end on the bridge, the given address, and a route to the bridge's /24 only.
host_ns() {
  local ns=$1 ip=$2 veth=$3
  ip netns add "$ns"
  ip link add "$veth" type veth peer name eth0 netns "$ns"
  ip link set "$veth" master "$BRIDGE" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
}

start_redis() {
  mkdir -p "$STATE/redis-data"
  ip netns exec "$REDIS_NS" redis-server --bind "$(redis_addr)" --port 6379 --save '' --appendonly yes \
    --appendfsync always --dir "$STATE/redis-data" --protected-mode no --daemonize yes \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"
  for _ in $(seq 50); do
    ip netns exec "$REDIS_NS" redis-cli -h "$(redis_addr)" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "redis did not start: $(tail -3 "$STATE/redis.log")"
}

# A cluster authority, a certificate for each host that may run and one for clients (olm cert; about a second each).
make_certificates() {
  [ -f "$CLIENT_DLL" ] || die "no $CLIENT_DLL: build the Client project first (dotnet build Client)"
  local dir=$STATE/tls
  rm -rf "$dir" && mkdir -p "$dir"
  dotnet "$CLIENT_DLL" cert ca --out "$dir/ca" --name "$CLUSTER-ca" >/dev/null || die "olm cert ca failed"
  for name in $(seq -f 'h%g' 0 $(($1 - 1))) client; do
    dotnet "$CLIENT_DLL" cert issue --ca "$dir/ca.pfx" --out "$dir/$name" --name "$CLUSTER-$name" >/dev/null || die "olm cert issue failed"
  done
}

tls_args() { echo "--tls-cert $STATE/tls/$1.pfx --tls-ca $STATE/tls/ca.crt"; }

start_silo() {
  local i=$1; shift
  [ -f "$SILO_DLL" ] || die "no $SILO_DLL: build the Silo project first (dotnet build Silo)"
  : > "$STATE/h$i.log"
  # shellcheck disable=SC2046  # the TLS options are words without spaces
  ip netns exec "$(ns "$i")" dotnet "$SILO_DLL" --listen "$(addr "$i")" --advertise "$(addr "$i")" \
    --redis "$(redis_addr):6379" --cluster-id "$CLUSTER" --silo-port 11111 --gateway-port 30000 $(tls_args "h$i") "$@" \
    </dev/null >>"$STATE/h$i.log" 2>&1 &
  echo $! > "$STATE/h$i.pid"
  for _ in $(seq 600); do
    grep -q '^silo up' "$STATE/h$i.log" && return 0
    kill -0 "$(cat "$STATE/h$i.pid")" 2>/dev/null || die "silo $i exited: $(tail -3 "$STATE/h$i.log")"
    sleep 0.1
  done
  die "silo $i did not start in 60 s: $(tail -3 "$STATE/h$i.log")"
}

up() {
  local n=$1; shift
  [[ $n =~ ^[1-9]$ ]] || die "up takes 1 to 9 silos, got '$n'"
  check
  ip link show "$BRIDGE" >/dev/null 2>&1 && die "$BRIDGE exists: run 'OLM_NET=$NAME $0 down' first"
  command -v redis-server >/dev/null || die "redis-server is missing (apt-get install -y redis-server)"
  mkdir -p "$STATE"
  rm -rf "$STATE/redis-data"
  ip link add "$BRIDGE" type bridge
  ip addr add "$SUBNET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  host_ns "$REDIS_NS" "$(redis_addr)" "${NAME}vr"
  for i in $(seq 0 $((n - 1))); do host_ns "$(ns "$i")" "$(addr "$i")" "${NAME}v$i"; done
  echo "$n" > "$STATE/count"
  make_certificates "$n"
  start_redis
  for i in $(seq 0 $((n - 1))); do start_silo "$i" "$@"; echo "silo $i up at $(addr "$i") ($(ns "$i"))"; done
  echo "redis at $(redis_addr):6379; cluster '$CLUSTER'; clients: olm ... --redis $(redis_addr):6379 --cluster-id $CLUSTER $(tls_args client)"
}

down() {
  check
  for netns in $(ip netns list | awk '{print $1}' | grep -E "^$NAME-(h[0-9]|redis)$" || true); do
    for pid in $(ip netns pids "$netns"); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$netns"
  done
  # A namespace goes when its last user does, which the kernel may take a while over: its veths go now.
  for link in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^${NAME}v[0-9r]$" || true); do
    ip link del "$link" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  rm -f "$STATE"/*.pid "$STATE/count"
}

status() {
  local n; n=$(cat "$STATE/count" 2>/dev/null || echo 0)
  for i in $(seq 0 $((n - 1))); do
    if [ -f "$STATE/h$i.pid" ] && kill -0 "$(cat "$STATE/h$i.pid")" 2>/dev/null; then echo "silo $i $(addr "$i") running"
    else echo "silo $i $(addr "$i") stopped"; fi
  done
  ip netns exec "$REDIS_NS" redis-cli -h "$(redis_addr)" ping >/dev/null 2>&1 && echo "redis $(redis_addr) running" || echo "redis stopped"
}

signal() {
  [ -f "$STATE/h$2.pid" ] || die "silo $2 is not running"
  kill "$1" "$(cat "$STATE/h$2.pid")" && rm -f "$STATE/h$2.pid"
}

cmd=${1:-}; shift || true
case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  kill) signal -9 "$1" ;;
  stop) signal -TERM "$1" ;;
  start) i=$1; shift; start_silo "$i" "$@" ;;
  redis-stop) kill -9 "$(cat "$STATE/redis.pid")" ;;
  redis-cut) ip -n "$REDIS_NS" link set eth0 down ;;
  redis-mend) ip -n "$REDIS_NS" link set eth0 up ;;
  redis-start) start_redis ;;
  exec) i=$1; shift; if [ "$i" = redis ]; then ip netns exec "$REDIS_NS" "$@"; else ip netns exec "$(ns "$i")" "$@"; fi ;;
  addr) addr "$1" ;;
  redis-addr) echo "$(redis_addr):6379" ;;
  tls) tls_args client ;;
  status) status ;;
  *) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
