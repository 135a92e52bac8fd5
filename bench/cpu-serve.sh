#!/usr/bin/env bash
# Continuous batching on the CPU: 8 requests one at a time against the same 8 in flight together, on each model given
# (default shape:tiny and the llama-tiny fixture), in one run. JSON per configuration to OUT (default /tmp/olm-cpu-serve),
# then a line a model: total output tokens/s of each and the ratio.
# Usage: bash bench/cpu-serve.sh [MODEL...]   (OLM: the olm command; default dotnet run --project Client --)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/olm-cpu-serve}; mkdir -p "$out"
read -r -a olm <<< "${OLM:-dotnet run --project $here/../Client --}"
models=("$@"); [ ${#models[@]} -gt 0 ] || models=(shape:tiny "$here/../Tests/Fixtures/llama-tiny")
for model in "${models[@]}"; do
  name=$(basename "${model#shape:}")
  for c in 1 8; do
    "${olm[@]}" bench --model "$model" --scenario serve --prompt-tokens 32 --tokens 64 --requests 8 --concurrency "$c" \
      --warmup 1 --repeats 3 --json | tail -1 > "$out/serve-$name-c$c.json"
  done
  python3 - "$out/serve-$name-c1.json" "$out/serve-$name-c8.json" "$model" <<'PY'
import json, sys
one, eight = (json.load(open(f))["results"][0] for f in sys.argv[1:3])
print(f"{sys.argv[3]}: one at a time {one['output_tokens_per_s']:.1f} tok/s, 8 in flight {eight['output_tokens_per_s']:.1f} tok/s "
      f"({eight['output_tokens_per_s'] / one['output_tokens_per_s']:.2f}x; ITL p50 {one['itl_ms_p50']:.2f} / {eight['itl_ms_p50']:.2f} ms, "
      f"rows a batch {eight['batch_rows']:.1f})")
PY
done
