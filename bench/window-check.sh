#!/usr/bin/env bash
# A model larger than its silos' budgets, streamed through weight windows, against the same model unconstrained:
# K silo processes on loopback with BUDGET GiB each generate greedily (the planner picks each shard's window, or
# WINDOW asks for one), then one silo process with REF_BUDGET GiB generates the same prompt with every layer resident.
# Prints both id lists, whether they are equal, and each silo's peak resident memory (olm status --json).
# Usage: bench/window-check.sh MODEL_DIR [K] [BUDGET] [STRATEGY] [REF_BUDGET]    (run from the repository root)
# Env: OLM (default: dotnet Client/bin/Debug/net10.0/Client.dll), TOKENS (8), WINDOW (planner's choice), THREADS per silo (1), OUT (a folder for JSON)
set -uo pipefail
model=$1; k=${2:-4}; budget=${3:-2}; strategy=${4:-tensor}; ref_budget=${5:-16}
olm=(${OLM:-dotnet Client/bin/Debug/net10.0/Client.dll})
out=${OUT:-/tmp/olm-window-check}; mkdir -p "$out"
prompt=128000,791,4062,14198,39935,35308,927,279,16053,5679,13
window=${WINDOW:+--memory-window $WINDOW}
base=$((31000 + RANDOM % 2000))

silos() { # count budget: starts silo processes, their stdin held open by a sleep we end later
  local n=$1 gib=$2 i
  for ((i = 0; i < n; i++)); do
    local primary=""; ((i > 0)) && primary="--primary-port $base"
    sleep 100000 | "${olm[@]}" silo --silo-port $((base + 2 * i)) --gateway-port $((base + 2 * i + 1)) --cluster-id wcheck \
      --threads "${THREADS:-1}" --memory-gb "$gib" $primary > "$out/silo-$i.log" 2>&1 &
    until grep -q ready "$out/silo-$i.log" 2>/dev/null; do sleep 1; done
  done
}
# Ending a silo's stdin (its sleep) stops it cleanly.
stop() { for p in $(jobs -p); do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
gen() { "${olm[@]}" generate --gateway "127.0.0.1:$((base + 1))" --cluster-id wcheck --model "$model" --dtype bfloat16 --json \
          --prompt-ids "$prompt" --max-tokens "${TOKENS:-8}" "$@" | tail -1; }

# Deployed by name first, so that the status read after generating still lists it (a generate that finds no
# deployment of its plan deploys one for itself and takes it away when it ends).
run() { # name plan...: deploy, generate on it, read the status, undeploy
  local name=$1; shift
  "${olm[@]}" deploy --gateway "127.0.0.1:$((base + 1))" --cluster-id wcheck --model "$model" --dtype bfloat16 --name wcheck "$@" \
    > "$out/$name-deploy.log" 2>&1 || { cat "$out/$name-deploy.log" >&2; stop; exit 1; }
  gen "$@" > "$out/$name.json"
  "${olm[@]}" status --gateway "127.0.0.1:$((base + 1))" --cluster-id wcheck --json | tail -1 > "$out/$name-status.json"
  "${olm[@]}" undeploy wcheck --gateway "127.0.0.1:$((base + 1))" --cluster-id wcheck > /dev/null
}
silos "$k" "$budget"
run windowed --shards "$k" --strategy "$strategy" $window
stop
silos 1 "$ref_budget"
run resident
stop
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
w, r = (json.load(open(f"{out}/{n}.json")) for n in ("windowed", "resident"))
status = json.load(open(f"{out}/windowed-status.json"))
print("windowed ids:", w["ids"]); print("resident ids:", r["ids"]); print("equal:", w["ids"] == r["ids"])
print("windows:", [d["windows"] for d in status["deployments"]], "weights MiB:", [[round(b / 2**20) for b in d["weight_bytes"]] for d in status["deployments"]])
print("windowed silos' peak RSS MiB:", [round(s["peak_rss_bytes"] / 2**20) for s in status["silos"]])
print("resident silo peak RSS MiB:", [round(s["peak_rss_bytes"] / 2**20) for s in json.load(open(f"{out}/resident-status.json"))["silos"]])
PY
