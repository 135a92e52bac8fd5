#!/usr/bin/env bash
# Runs benchmark suites on the GPU machine (the device tool), ours beside the Hugging Face baseline in the same call.
# Usage there: bash bench/gpu-suite.sh SUITE... (after ../shared/gpu/pack.sh Client/Client.csproj here, carry .gpu)
# Suites: info native layer-forms probe hf-batch1 check check-quick check-batching jit-static hf-decode hf-prefill hf-batches-1b hf-batches-8b decode prefill serve-1b
#         serve-8b serve-1b-256 serve-8b-256 (a batch at most 256 rows) batch1-1b batch1-8b batch1-1b-eager batch1-8b-eager (OLM_FUSED=0) graphs-off tp2 tp2-silos pipe2 seq2-1b hf-8b seq2-8b
#         check-tensor all-reduce tp-8b-1 tp-8b-32 tp-8b-silos tp-70b hybrid-70b hf-70b cpu-tp (tensor parallel: 4 GPUs)
#         int8-check int8-graphs-check int8-8b int8-serve-8b window-1b-host window-8b-host window-check-8b-host sparse-8b sparse-1b sparse-check
#         sparse-gpu-check probe-sparse kernel-check families-check families hf-families (FAMILY_SHAPES: which shapes).
# `native` builds Native/ (CUDA graphs, NCCL) into /tmp/olm-native and exports OLM_NATIVE for the suites after it.
# Multi-GPU suites run one embedded silo driving every GPU unless named -silos (one silo per GPU); SHARDS=1,2,4 widens
# their shard counts (default 1,2) on a machine with more GPUs. Results: $OUT/*.json and *.log.
set -uo pipefail
out=${OUT:-/tmp/out}; mkdir -p "$out"
# OLM_RUN runs another build of olm (e.g. the commit before a change, packed as .gpu/ClientOld.tar.xz, run by
# .gpu/run-old.sh) through the same suites, for a comparison in one call.
read -r -a olm <<< "${OLM_RUN:-bash .gpu/run.sh Client}"
export OLM_COMMIT=${OLM_COMMIT:-$(cat .gpu/commit 2>/dev/null)}
export OLM_CARD=${OLM_CARD:-$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)}
step() { # name timeout command...: stdout (the JSON) to $out/name.json, stderr to suite.log (at most 8 files come back)
  local name=$1 limit=$2; shift 2
  echo "=== $name: $*" | tee -a "$out/suite.log"
  local t0=$SECONDS
  timeout "$limit" "$@" > "$out/$name.json" 2>> "$out/suite.log"
  echo "--- $name: rc=$? in $((SECONDS - t0)) s: $(tail -c 400 "$out/$name.json")" | tee -a "$out/suite.log"
}
# stepmem: as step, with the GPU's memory in use sampled every 200 ms; the peak goes to suite.log.
stepmem() {
  local name=$1; shift
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$out/$name.mem" 2>/dev/null & local smi=$!
  step "$name" "$@"
  kill $smi 2>/dev/null; wait $smi 2>/dev/null
  echo "--- $name: peak GPU memory used $(sort -n "$out/$name.mem" | tail -1) MiB" | tee -a "$out/suite.log"
  rm -f "$out/$name.mem"
}
ckpt8b=/tmp/olm-llama-8b
window8b() { [ -f $ckpt8b/model.safetensors ] || step checkpoint-8b 400 "${olm[@]}" checkpoint --shape llama-8b --dtype bfloat16 --out $ckpt8b --json; }
one=(--model shape:llama-1b --device cuda --dtype bfloat16 --json)
eight=(--model shape:llama-8b --device cuda --dtype bfloat16 --json)
serve=(--scenario serve --prompt-tokens 128 --tokens 256 --warmup 1 --repeats 1)
seventy=(--model shape:llama-70b --device cuda --dtype bfloat16 --json --scenario serve --prompt-tokens 128 --tokens 128 --warmup 1 --repeats 1)
for suite in "$@"; do case $suite in
  info) { nvidia-smi --query-gpu=name,memory.total,clocks.max.mem --format=csv; echo "commit $OLM_COMMIT"; } | tee -a "$out/suite.log" ;;
  native) bash Native/build.sh /tmp/olm-native >> "$out/suite.log" 2>&1 && export OLM_NATIVE=/tmp/olm-native/libolm_cuda.so; echo "native: ${OLM_NATIVE:-not built}" | tee -a "$out/suite.log" ;;
  check) step check 500 python3 bench/gpu_check.py ;;
  check-quick) step check-quick 300 python3 bench/gpu_check.py --quick ;;
  check-batching) step check-batching 400 python3 bench/gpu_check.py --batching ;;
  hf-decode) step hf-decode 300 python3 bench/hf_baseline.py --shape llama-1b --scenario decode --prompt-tokens 128 --tokens 128 --json ;;
  hf-prefill) step hf-prefill 300 python3 bench/hf_baseline.py --shape llama-1b --scenario prefill --prompt-tokens 8192,32768 --json ;;
  hf-batches-1b) step hf-batches-1b 400 python3 bench/hf_baseline.py --shape llama-1b --scenario batches --batches 1,8,32,64 --prompt-tokens 128 --tokens 256 --warmup 1 --repeats 1 --json ;;
  hf-batch1) step hf-batch1-1b 300 python3 bench/hf_baseline.py --shape llama-1b --scenario batches --batches 1 --prompt-tokens 128 --tokens 256 --warmup 1 --repeats 1 --json
             step hf-batch1-8b 300 python3 bench/hf_baseline.py --shape llama-8b --scenario batches --batches 1 --prompt-tokens 128 --tokens 256 --warmup 1 --repeats 1 --json ;;
  hf-batches-8b) step hf-batches-8b 400 python3 bench/hf_baseline.py --shape llama-8b --scenario batches --batches 1,8,32,64 --prompt-tokens 128 --tokens 256 --warmup 1 --repeats 1 --json ;;
  decode) step decode 300 "${olm[@]}" bench "${one[@]}" --scenario decode --prompt-tokens 128 --tokens 128 ;;
  prefill) step prefill 300 "${olm[@]}" bench "${one[@]}" --scenario prefill --prompt-tokens 8192,32768 ;;
  batch1-1b) (export OLM_TRACE=$out/trace-batch1-1b.tsv; step batch1-1b 300 "${olm[@]}" bench "${one[@]}" "${serve[@]}" --concurrency 1 --requests 3) ;;
  jit-static) (export OLM_JIT=static OLM_CUDA_GRAPHS=0 OLM_TRACE=$out/trace-jit-static.tsv; step jit-static 300 "${olm[@]}" bench "${one[@]}" "${serve[@]}" --concurrency 1 --requests 3) ;;
  batch1-1b-eager) (export OLM_FUSED=0; step batch1-1b-eager 300 "${olm[@]}" bench "${one[@]}" "${serve[@]}" --concurrency 1 --requests 3) ;;
  batch1-8b-eager) (export OLM_FUSED=0; step batch1-8b-eager 300 "${olm[@]}" bench "${eight[@]}" "${serve[@]}" --concurrency 1 --requests 3) ;;
  probe) step probe 420 python3 bench/decode_probe.py "$OLM_NATIVE" ;;
  # The decoder layer as one TorchScript call against the same math as C# ops (bench/layer-forms, packed as LayerForms).
  layer-forms) step layer-forms 400 bash .gpu/run.sh LayerForms --shapes llama-1b,llama-8b --steps 20 ;;
  probe-sparse) step probe-sparse 300 python3 bench/decode_probe.py "$OLM_NATIVE" --parts checks,sparse ;;
  batch1-8b) step batch1-8b 300 "${olm[@]}" bench "${eight[@]}" "${serve[@]}" --concurrency 1 --requests 3 ;;
  serve-1b) (export OLM_TRACE=$out/trace-serve-1b.tsv; step serve-1b 300 "${olm[@]}" bench "${one[@]}" "${serve[@]}" --concurrency 64 --requests 64) ;;
  serve-8b) (export OLM_TRACE=$out/trace-serve-8b.tsv; step serve-8b 400 "${olm[@]}" bench "${eight[@]}" "${serve[@]}" --concurrency 64 --requests 64) ;;
  serve-1b-256) (export OLM_TRACE=$out/trace-serve-1b-256.tsv; step serve-1b-256 300 "${olm[@]}" bench "${one[@]}" "${serve[@]}" --concurrency 64 --requests 64 --max-batch-tokens 256) ;;
  serve-8b-256) (export OLM_TRACE=$out/trace-serve-8b-256.tsv; step serve-8b-256 400 "${olm[@]}" bench "${eight[@]}" "${serve[@]}" --concurrency 64 --requests 64 --max-batch-tokens 256) ;;
  graphs-off) (export OLM_CUDA_GRAPHS=0 OLM_TRACE=$out/trace-graphs-off.tsv; step graphs-off 300 "${olm[@]}" bench "${one[@]}" "${serve[@]}" --concurrency 1 --requests 3) ;;
  tp2) step tp2 300 "${olm[@]}" bench "${one[@]}" --strategy tensor --shard-counts ${SHARDS:-1,2} --all-reduces star,all-to-all --scenario decode --prompt-tokens 128 --tokens 64 ;;
  tp2-silos) step tp2-silos 300 "${olm[@]}" bench "${one[@]}" --silos 2 --strategy tensor --shard-counts 2 --all-reduces star --scenario decode --prompt-tokens 128 --tokens 64 ;;
  pipe2) step pipe2 300 "${olm[@]}" bench "${one[@]}" --strategy pipeline --shard-counts ${SHARDS:-2} --scenario decode --prompt-tokens 128 --tokens 64 --concurrency 1 ;;
  seq2-1b) step seq2-1b 300 "${olm[@]}" bench "${one[@]}" --strategy sequence --shard-counts ${SHARDS:-1,2} --prefills ring,striped,runahead --scenario prefill --prompt-tokens 16384 ;;
  hf-8b) step hf-8b 300 python3 bench/hf_baseline.py --shape llama-8b --scenario prefill --prompt-tokens 65536 --warmup 1 --repeats 2 --json ;;
  seq2-8b) step seq2-8b 500 "${olm[@]}" bench --model shape:llama-8b --device cuda --dtype bfloat16 --json --strategy sequence --shard-counts ${SHARDS:-1,2} --prefills ring,striped,runahead --scenario prefill --prompt-tokens 65536 --warmup 1 --repeats 2 ;;
  check-tensor) step check-tensor 300 python3 bench/gpu_check.py --tensor ;;
  all-reduce) step all-reduce 90 "${olm[@]}" bench --model shape:llama-70b --device cuda --json --scenario all-reduce --shard-counts 2,4 ;;
  tp-8b-1) step tp-8b-1 240 "${olm[@]}" bench "${eight[@]}" "${serve[@]}" --strategy tensor --shard-counts ${SHARDS:-1,2,4} --concurrency 1 --requests 3 ;;
  tp-8b-32) step tp-8b-32 200 "${olm[@]}" bench "${eight[@]}" "${serve[@]}" --strategy tensor --shard-counts 1,4 --concurrency 32 --requests 32 ;;
  tp-8b-silos) step tp-8b-silos 300 "${olm[@]}" bench "${eight[@]}" --processes 4 --strategy tensor --shard-counts 2 --all-reduces star,all-to-all --scenario decode --prompt-tokens 128 --tokens 32 --repeats 1 ;;
  tp-70b) step tp-70b 400 "${olm[@]}" bench "${seventy[@]}" --strategy tensor --shard-counts 4 --concurrency 1 --requests 3 ;;
  hybrid-70b) step hybrid-70b 400 "${olm[@]}" bench "${seventy[@]}" --processes 2 --strategy pipeline,tensor --shard-counts 4 --concurrency 1 --requests 3 ;;
  hf-70b) step hf-70b 400 python3 bench/hf_baseline.py --shape llama-70b --gpus 4 --scenario decode --prompt-tokens 128 --tokens 64 --warmup 1 --repeats 2 --json ;;
  cpu-tp) step cpu-tp 300 "${olm[@]}" bench --model shape:llama-1b --json --tokens 16 --repeats 3 --warmup 1 --shard-counts 1,2 --all-reduces all-to-all --processes 4 ;;
  # int8 on the GPU: the demo model's perplexity (CUDA float32) as on the CPU (docs/BENCHMARKS.md), LLM.int8() at prefill
  # (rows > 16: int8 x int8) and the weight-only path beside it, static scales with shadows (the shadow on a host thread).
  int8-check) step int8-check 500 bash -c 'ids=$("$@" tokenize --model models/stories260K --text "$(cat bench/texts/eval-story.txt)" --json | tail -1 |
      python3 -c "import json,sys; print(\",\".join(map(str, json.load(sys.stdin)[\"ids\"])))")
    for q in "" "--quantize int8" "--quantize int8 --int8-threshold inf" "--quantize int8-static" "--shadow-outliers"; do
      echo "{\"options\": \"$q\", \"result\": $("$@" perplexity --model models/stories260K --device cuda --dtype float32 --ids "$ids" $q --json | tail -1)}"
    done' _ "${olm[@]}" ;;
  # int8 decode in CUDA graphs (batches up to 16 rows, or any with --int8-threshold inf) against eager steps: the same ids.
  int8-graphs-check) for t in 6 inf; do for g in 1 0; do
      step int8-graphs-t$t-g$g 200 env OLM_CUDA_GRAPHS=$g "${olm[@]}" generate --model models/stories260K --prompt "Once upon a time" \
        --max-tokens 48 --device cuda --dtype bfloat16 --quantize int8 --int8-threshold $t --json; done; done ;;
  # llama-8b bf16 against int8 (LLM.int8()): weights and the GPU's memory in use, decode at batch 1 (weight-only int8:
  # CUDA's int8 matmul takes more than 16 rows) and a 64-request serving run (int8 x int8 where batches exceed 16 rows).
  int8-8b) stepmem int8-8b-bf16 300 "${olm[@]}" bench "${eight[@]}" --scenario decode --prompt-tokens 128 --tokens 64
           stepmem int8-8b-int8 300 "${olm[@]}" bench "${eight[@]}" --quantize int8 --scenario decode --prompt-tokens 128 --tokens 64 ;;
  int8-serve-8b) stepmem int8-serve-8b-bf16 400 "${olm[@]}" bench "${eight[@]}" "${serve[@]}" --concurrency 64 --requests 64
                 stepmem int8-serve-8b-int8 400 "${olm[@]}" bench "${eight[@]}" --quantize int8 "${serve[@]}" --concurrency 64 --requests 64 ;;
  # Weight windows on the host's CPUs (16 cores): a llama-8b bf16 checkpoint written here, 4 silo processes of 2 GiB
  # (4 threads each), tensor parallel, windows of 2..12 half-layer blocks, fresh processes per window (peak RSS each).
  window-8b-host) window8b; step window-8b-host 550 "${olm[@]}" bench --model $ckpt8b --device cpu --dtype bfloat16 --json --processes 4 \
      --memory-gb 2 --strategy tensor --shard-counts 4 --memory-windows 2,4,8,12 --fresh-silos --prompt-tokens 4 --tokens 8 --warmup 1 --repeats 1 ;;
  # llama-1b bf16 through windows on the host's CPUs (one silo process, 16 threads, 2 GiB) and resident (6 GiB) beside it.
  window-1b-host) [ -f /tmp/olm-llama-1b/model.safetensors ] || step checkpoint-1b 200 "${olm[@]}" checkpoint --shape llama-1b --dtype bfloat16 --out /tmp/olm-llama-1b --json
      step window-1b-host 300 "${olm[@]}" bench --model /tmp/olm-llama-1b --device cpu --dtype bfloat16 --json --processes 1 --threads 16 \
          --memory-gb 2 --memory-windows 2,8,16 --fresh-silos --prompt-tokens 16 --tokens 16 --warmup 1 --repeats 1
      step window-1b-host-resident 200 "${olm[@]}" bench --model /tmp/olm-llama-1b --device cpu --dtype bfloat16 --json --processes 1 \
          --threads 16 --memory-gb 6 --fresh-silos --prompt-tokens 16 --tokens 16 --warmup 1 --repeats 1 ;;
  # The same streamed through windows (the planner's choice) against one unconstrained silo: greedy ids and peak RSS.
  window-check-8b-host) window8b; (export OLM="bash .gpu/run.sh Client" OUT=$out/window-check TOKENS=8 THREADS=4
      step window-check-8b-host 550 bash bench/window-check.sh $ckpt8b 4 2 tensor 24) ;;
  # Contextual sparsity at decode (issue 14): batch 1, a fixed selection of the size each sparsity gives (random weights
  # say nothing of quality), dense (0) beside it in the same call; the target is 1.4x dense at 50% on llama-8b.
  sparse-8b) step sparse-8b 500 "${olm[@]}" bench "${eight[@]}" --scenario decode --prompt-tokens 128 --tokens 64 --sparsities 0,0.25,0.5,0.75 --sparsity-mode fixed ;;
  sparse-gpu-check) step sparse-gpu-check 300 python3 bench/gpu_check.py --sparse ;;
  sparse-1b) step sparse-1b 300 "${olm[@]}" bench "${one[@]}" --scenario decode --prompt-tokens 128 --tokens 64 --sparsities 0,0.25,0.5,0.75 --sparsity-mode fixed ;;
  # The demo model's perplexity on CUDA (float32) with learned predictors, thresholds and the random control.
  sparse-check) step sparse-check 500 bash -c 'm=$(mktemp -d); cp models/stories260K/* $m; "$@" sparsify --model $m --text bench/texts/sparsify-stories.txt >&2 &&
      ids=$("$@" tokenize --model $m --text "$(cat bench/texts/eval-story.txt)" --json | tail -1 | python3 -c "import json,sys; print(\",\".join(map(str, json.load(sys.stdin)[\"ids\"])))") &&
      for s in 0.25 0.5 0.75; do for c in learned threshold random; do echo "$s $c $("$@" perplexity --model $m --ids $ids --device cuda --dtype float32 --sparsity $s --sparsity-mode $c --json | tail -1)"; done; done' _ "${olm[@]}" ;;
  # Paged decode attention against float64 math: every family's head size (Gemma's 256) and Gemma 2's soft cap.
  kernel-check) step kernel-check 120 python3 bench/kernel_check.py "$OLM_NATIVE" ;;
  # The newer families' fixtures on the GPU (bench/gpu_check.py --families).
  families-check) step families-check 400 python3 bench/gpu_check.py --families ;;
  # One size people run of each newer family (issue 23): batch 1 and 64 concurrent, as batch1-8b and serve-8b.
  families) for s in ${FAMILY_SHAPES:-qwen3-8b gemma2-9b gemma3-12b phi3-mini}; do
      fam=(--model shape:$s --device cuda --dtype bfloat16 --json)
      step batch1-$s 300 "${olm[@]}" bench "${fam[@]}" "${serve[@]}" --concurrency 1 --requests 3
      step serve-$s 400 "${olm[@]}" bench "${fam[@]}" "${serve[@]}" --concurrency 64 --requests 64
    done ;;
  # transformers on the same configs (olm models --shape prints each), batch 1 and 64 in generate().
  hf-families) for s in ${FAMILY_SHAPES:-qwen3-8b gemma2-9b gemma3-12b phi3-mini}; do
      "${olm[@]}" models --shape $s > /tmp/olm-shape-$s.json
      step hf-$s 400 python3 bench/hf_baseline.py --config /tmp/olm-shape-$s.json --scenario batches --batches 1,64 --prompt-tokens 128 --tokens 256 --warmup 1 --repeats 1 --json
    done ;;
  *) echo "unknown suite $suite" >&2 ;;
esac; done
