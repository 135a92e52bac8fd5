#!/usr/bin/env bash
# Measures, on 3 silos in network namespaces with Redis (netns-hosts.sh): how long after `kill -9` of the first silo
# the survivors declare it dead and a new request is served, what the survivors log meanwhile, and what a 10 s Redis
# outage does to a running generation and to new clients. Needs root, redis-server and built Silo and Client projects.
# Prints one line per figure. Usage: measure-failover.sh [SILO ARGS...]  (e.g. --probe-timeout 1)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../..
export OLM_NET=${OLM_NET:-olmm} OLM_SUBNET=${OLM_SUBNET:-10.213.9}
export OLM_STATE=${OLM_STATE:-/tmp/olm-net-$OLM_NET}
HOSTS="bash $HERE/netns-hosts.sh"
OLM="dotnet ${CLIENT_DLL:-$ROOT/Client/bin/Debug/net10.0/Client.dll}"
MODEL=$ROOT/Tests/Fixtures/llama-tiny FILLER=$ROOT/Tests/Fixtures/qwen2-tiny
trap '$HOSTS down >/dev/null 2>&1 || true' EXIT

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
generate() { $OLM generate --model "$MODEL" --shards 2 --strategy pipeline --prompt-ids 5,6,7 --json "$@" 2>&1 | tail -1 || true; }

$HOSTS down >/dev/null 2>&1 || true
$HOSTS up 3 "$@" >/dev/null
REDIS=$($HOSTS redis-addr) FIRST=$($HOSTS addr 0) SECOND=$($HOSTS addr 1)
# shellcheck disable=SC2207  # the TLS options are words without spaces
TLS=($($HOSTS tls))
CLIENT=(--redis "$REDIS" --cluster-id "$OLM_NET" "${TLS[@]}")
# Through the first silo's gateway, so the deployments' control grains live there; the filler's one shard lands on
# the first silo (the planner breaks ties in silo order), the measured deployment's two shards on the other two.
$OLM deploy --model "$FILLER" --gateway "$FIRST:30000" --cluster-id "$OLM_NET" "${TLS[@]}" --json >/dev/null
$OLM deploy --model "$MODEL" --shards 2 --strategy pipeline --gateway "$FIRST:30000" --cluster-id "$OLM_NET" "${TLS[@]}" --json >/dev/null
$OLM status "${CLIENT[@]}" --json | tail -1 > "$OLM_STATE/status.json"
grep -q "\"silo\":\"$FIRST:" "$OLM_STATE/status.json" || { echo "measure: no silo at $FIRST in status" >&2; exit 1; }
t=$(now); generate --max-tokens 8 "${CLIENT[@]}" >/dev/null; echo "client start-up and 8 tokens, undisturbed: $(secs "$t" "$(now)") s"

$HOSTS kill 0; killed=$(now); killed_clock=$(date +%T.%N)
served=""
for _ in $(seq 60); do
  out=$(generate --max-tokens 8 "${CLIENT[@]}" || true)
  if grep -q '"ids"' <<<"$out"; then served=$(now); break; fi
  echo "  refused meanwhile: $out" | cut -c1-200
done
[ -n "$served" ] || { echo "measure: no request served within 60 tries after the kill" >&2; exit 1; }
echo "first silo killed -> a new request served by the others: $(secs "$killed" "$served") s (includes the client's start-up)"
dead=$(grep -h "is dead" "$OLM_STATE/h1.log" "$OLM_STATE/h2.log" | head -1 | cut -d' ' -f1)
[ -n "$dead" ] && echo "first silo killed -> declared dead by the survivors: $(secs "$(date -d "$killed_clock" +%s.%N)" "$(date -d "$dead" +%s.%N)") s"
sleep "$(awk -v k="$killed" -v n="$(now)" 'BEGIN { d = 60 - (n - k); print (d > 0 ? d : 0) }')"
after=$(awk -v t="${killed_clock:0:8}" '$1 >= t' "$OLM_STATE/h1.log")
echo "a survivor's log in the minute after the kill: $(wc -c <<<"$after") bytes, $(wc -l <<<"$after") lines (kinds: $(cut -d' ' -f3 <<<"$after" | sort | uniq -c | sort -rn | head -4 | tr -s ' ' | paste -sd',' -))"

# Redis cut off the network for 10 s under a running 300-token generation (its client went through a gateway).
generate --max-tokens 300 --gateway "$SECOND:30000" --cluster-id "$OLM_NET" > "$OLM_STATE/long.json" &
long=$!
sleep 1; $HOSTS redis-cut; stopped=$(now)
echo "a new client while Redis is away: $(generate --max-tokens 8 "${CLIENT[@]}" | cut -c1-160)"
echo "a new request through a gateway while Redis is away: $(generate --max-tokens 8 --gateway "$SECOND:30000" --cluster-id "$OLM_NET" | cut -c1-60)"
sleep "$(awk -v s="$stopped" -v n="$(now)" 'BEGIN { d = 10 - (n - s); print (d > 0 ? d : 0) }')"
$HOSTS redis-mend; back=$(now)
wait "$long" || true
echo "the 300-token generation across the outage: $(grep -o '"ids":\[[0-9,]*\]' "$OLM_STATE/long.json" | tr ',' '\n' | wc -l) tokens"
for _ in $(seq 30); do generate --max-tokens 8 "${CLIENT[@]}" | grep -q '"ids"' && break; done
echo "Redis back -> a new client through Redis served: $(secs "$back" "$(now)") s (includes the client's start-up)"
echo "the survivors' log lines about Redis: $(grep -h 'Redis at' "$OLM_STATE/h1.log" "$OLM_STATE/h2.log" | cut -d' ' -f2- | sort | uniq -c | tr -s ' ' | paste -sd';' -)"
