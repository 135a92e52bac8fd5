#!/usr/bin/env bash
# The CPU serving bench of cpu-serve.sh for two builds of olm, interleaved: a small machine's speed drifts by tens of
# percent between runs minutes apart, so one run of each build says little. Each round runs every configuration with
# both builds, A then B in even rounds and B then A in odd ones, and the summary compares medians over the rounds.
# Usage: OLM_A="dotnet /old/Client.dll" OLM_B="dotnet /new/Client.dll" bash bench/cpu-serve-ab.sh [ROUNDS] [MODEL...]
#   (default 6 rounds on shape:tiny and the llama-tiny fixture). JSON of every run and summary.json to OUT
#   (default /tmp/olm-cpu-serve-ab); a line per configuration: median output tokens/s of each build and B/A.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/olm-cpu-serve-ab}; mkdir -p "$out"
: "${OLM_A:?OLM_A: the baseline olm command}" "${OLM_B:?OLM_B: the olm command to compare}"
rounds=${1:-6}; shift || true
models=("$@"); [ ${#models[@]} -gt 0 ] || models=(shape:tiny "$here/../Tests/Fixtures/llama-tiny")
run() { # build round model concurrency
  local -a olm; local var="OLM_$1"; read -r -a olm <<< "${!var}"
  local name; name=$(basename "${3#shape:}")
  "${olm[@]}" bench --model "$3" --scenario serve --prompt-tokens 32 --tokens 128 --requests 16 --concurrency "$4" \
    --warmup 1 --repeats 3 --json 2>/dev/null | tail -1 > "$out/$1-$name-c$4-r$2.json"
}
for ((r = 0; r < rounds; r++)); do
  order=(A B); ((r % 2)) && order=(B A)
  for model in "${models[@]}"; do
    for c in 1 8; do
      for b in "${order[@]}"; do run "$b" "$r" "$model" "$c"; done
    done
  done
  echo "round $((r + 1))/$rounds done" >&2
done
python3 - "$out" <<'PY'
import glob, json, os, re, statistics, sys
out = sys.argv[1]
runs = {}
for f in glob.glob(os.path.join(out, "[AB]-*-c*-r*.json")):
    b, name, c = re.match(r"([AB])-(.+)-c(\d+)-r\d+\.json", os.path.basename(f)).groups()
    runs.setdefault((name, int(c)), {}).setdefault(b, []).append(json.load(open(f))["results"][0]["output_tokens_per_s"])
summary = []
for (name, c), by in sorted(runs.items()):
    a, b = statistics.median(by["A"]), statistics.median(by["B"])
    summary.append({"model": name, "concurrency": c, "a_tok_s": by["A"], "b_tok_s": by["B"], "a_median": a, "b_median": b, "b_over_a": b / a})
    print(f"{name} c{c}: A {a:.1f} tok/s, B {b:.1f} tok/s (B/A {b / a:.3f}; A {min(by['A']):.0f}-{max(by['A']):.0f}, B {min(by['B']):.0f}-{max(by['B']):.0f})")
json.dump({"a": os.environ["OLM_A"], "b": os.environ["OLM_B"], "summary": summary}, open(os.path.join(out, "summary.json"), "w"), indent=1)
PY
