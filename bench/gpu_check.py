"""Correctness on the GPU machine through the product path (`olm generate` on an embedded cluster).

The machine has no .NET SDK, so Tests/Gpu cannot run there; this checks the same things end to end:
one GPU in float32 gives transformers' greedy ids (the fixtures), and every parallel strategy over two GPUs - one silo
driving both (tensors handed over in the silo, peer copies) and one silo per GPU (messages serialized between silos) -
gives the ids of one GPU in the same dtype. Prints one JSON object; exit 1 if any check fails.
Run there: python3 bench/gpu_check.py [--quick|--batching|--tensor|--sparse|--families] (--families: the newer
families' fixtures, see family_checks; --quick: sequence parallelism in one silo
only; --batching: only batched against alone, with and without CUDA graphs; --tensor: only tensor parallel and the
hybrid, on every GPU there; --sparse: only sparse decode, our kernels against eager ops) (after ../shared/gpu/pack.sh Client/Client.csproj, carrying .gpu).
"""
import json
import os
import subprocess
import sys

from safetensors.torch import load_file

OLM = ["bash", ".gpu/run.sh", "Client"]


def generate(model, prompt, count, *extra):
    args = OLM + ["generate", "--model", model, "--prompt-ids", ",".join(map(str, prompt)), "--max-tokens",
                  str(count), "--device", "cuda", "--json", *extra]
    run = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        return None, run.stderr.strip()[-400:]
    return json.loads(run.stdout.strip().splitlines()[-1])["ids"], None


def generate_many(model, prompts, count, *extra, env=None):
    args = OLM + ["generate", "--model", model, "--max-tokens", str(count), "--device", "cuda", "--json", *extra]
    for p in prompts:
        args += ["--prompt-ids", ",".join(map(str, p))]
    run = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)
    if run.returncode != 0:
        return None, run.stderr.strip()[-400:]
    return [r["ids"] for r in json.loads(run.stdout.strip().splitlines()[-1])["requests"]], None


def perplexity(model, ids, *extra, env=None):
    args = OLM + ["perplexity", "--model", model, "--ids", ",".join(map(str, ids)), "--device", "cuda", "--json", *extra]
    run = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)
    if run.returncode != 0:
        return None, run.stderr.strip()[-400:]
    return json.loads(run.stdout.strip().splitlines()[-1])["perplexity"], None


def batching_checks(check, info):
    """
    Prompts of different lengths together (one batch; prompts in chunks) against each alone: equal in float32. In
    bfloat16 a batch's matrix products round differently from one request's, so near-ties can flip: reported, not
    required. Graph replays equal eager steps in both. The chunks' one variable-length flash call (16-bit) equals one
    call a chunk, compared through perplexity over prompts cut in chunks of 8.
    """
    prompts = [[(p * 31 + i * 7 + 3) % 290 for p in range(n)] for i, n in enumerate([1, 5, 13, 30, 47])]
    for fixture, dtype in [("llama-tiny", "float32"), ("qwen2-tiny", "float32"), ("llama-tiny", "bfloat16")]:
        folder = f"Tests/Fixtures/{fixture}"
        alone, e1 = generate_many(folder, prompts, 24, "--dtype", dtype, "--one-by-one")
        together, e2 = generate_many(folder, prompts, 24, "--dtype", dtype, "--prefill-chunk", "16")
        (check if dtype == "float32" else info)(f"{fixture} {dtype}: 5 prompts in one batch = each alone (CUDA graphs)",
                                                together, alone, e1 or e2)
        # One by one, the batches are the same in both runs, so graph replays must give the eager steps' tokens.
        eager, e3 = generate_many(folder, prompts, 24, "--dtype", dtype, "--one-by-one", env={**os.environ, "OLM_CUDA_GRAPHS": "0"})
        check(f"{fixture} {dtype}: one by one, eager steps = CUDA graph replays", eager, alone, e1 or e3)
    ids = [(p * 37 + 11) % 300 for p in range(120)]
    one, error1 = perplexity("Tests/Fixtures/llama-tiny", ids, "--dtype", "bfloat16", "--prefill-chunk", "8", env={**os.environ, "OLM_VARLEN": "0"})
    varlen, error2 = perplexity("Tests/Fixtures/llama-tiny", ids, "--dtype", "bfloat16", "--prefill-chunk", "8")
    close = one is not None and varlen is not None and abs(varlen - one) / one < 5e-3
    check("llama-tiny bfloat16: chunked perplexity, one varlen flash call = one call a chunk (within 0.5%)",
          round(varlen, 5) if close else varlen, round(varlen, 5) if close else one, error1 or error2)


def tensor_checks(check, gpus):
    """
    Tensor parallel over GPUs of one silo (NCCL all-reduces, in CUDA graphs) and across silos (messages), and the
    hybrid, give one GPU's greedy ids in float32 and bfloat16: the fixtures (2 KV heads: x2) and the demo model
    (4 KV heads: x2, x3, x4); with several prompts together too (batching under tensor parallel).
    """
    prompts = [[(p * 31 + i * 7 + 3) % 290 for p in range(n)] for i, n in enumerate([1, 5, 13, 30])]
    plans = [("tensor x2, 1 silo", ["--strategy", "tensor", "--shards", "2"]),
             # A silo per GPU, so the ranks are in different silos and add through messages.
             (f"tensor x2, {gpus} silos", ["--strategy", "tensor", "--shards", "2", "--silos", str(gpus)]),
             ("tensor x2, 1 silo, messages", ["--strategy", "tensor", "--shards", "2"], {"OLM_DEVICE_ALLREDUCE": "0"})]
    if os.environ.get("CHECK_WIDE_ONLY") == "1":  # the two-rank plans were checked in an earlier call
        plans = []
    if gpus >= 4:
        plans += [("tensor x3, 1 silo", ["--strategy", "tensor", "--shards", "3"]),
                  ("tensor x4, 1 silo", ["--strategy", "tensor", "--shards", "4"]),
                  ("pipeline,tensor 2x2, 1 silo", ["--strategy", "pipeline,tensor", "--shards", "4"]),
                  ("pipeline,tensor 2x2, 2 silos", ["--strategy", "pipeline,tensor", "--shards", "4", "--silos", "2"])]
    # CHECK_PLANS=A,B keeps the plans whose names contain A or B; CHECK_DTYPES=bfloat16 checks one dtype (a short call).
    if os.environ.get("CHECK_PLANS"):
        plans = [p for p in plans if any(w in p[0] for w in os.environ["CHECK_PLANS"].split(","))]
    for folder, widest in [("Tests/Fixtures/llama-tiny", 2), ("Tests/Fixtures/qwen2-tiny", 2), ("models/stories260K", 4)]:
        for dtype in os.environ.get("CHECK_DTYPES", "float32,bfloat16").split(","):
            single, e1 = generate_many(folder, prompts, 24, "--dtype", dtype)
            for name, args, *env in plans:
                if int(args[args.index("--shards") + 1]) > widest and "pipeline,tensor" not in args:
                    continue  # at most one rank a KV head
                got, e2 = generate_many(folder, prompts, 24, "--dtype", dtype, *args,
                                        env={**os.environ, **(env[0] if env else {})})
                check(f"{folder.split('/')[-1]} {dtype} {name} = 1 GPU (4 prompts together)", got, single, e1 or e2)


def sparse_checks(check, info):
    """
    Sparse decode through our kernels (Sparse.Native.torchscript: a step's chosen rows only, in a CUDA graph) against the
    same choices in eager ops (OLM_FUSED=0): the demo model in bfloat16 with a fixed half, and a fixed quarter, of its
    heads and neurons, 4 prompts one by one. The kernels round once where the eager ops round at each op, so a
    near-tie can flip a token (the probe checks each kernel against float64 math): the first 8 tokens must agree, the
    rest is reported. With 2 GPUs, tensor-parallel sparse ranks against one GPU in float32.
    """
    prompts = [[(p * 31 + i * 7 + 3) % 500 for p in range(n)] for i, n in enumerate([1, 5, 13, 30])]
    for s in ["0.5", "0.25"]:
        args = ["--dtype", "bfloat16", "--sparsity", s, "--sparsity-mode", "fixed", "--one-by-one"]
        native, e1 = generate_many("models/stories260K", prompts, 32, *args)
        eager, e2 = generate_many("models/stories260K", prompts, 32, *args, env={**os.environ, "OLM_FUSED": "0"})
        name = f"stories260K bfloat16 sparsity {s} (fixed): our kernels = eager ops"
        head = lambda ids: None if ids is None else [r[:8] for r in ids]
        check(name + ", first 8 tokens", head(native), head(eager), e1 or e2)
        info(name + ", 32 tokens", native, eager, e1 or e2)
    # Tensor-parallel ranks (their partials summed in messages, eager) against one GPU, in float32.
    import torch
    if torch.cuda.device_count() >= 2:
        args = ["--dtype", "float32", "--sparsity", "0.5", "--sparsity-mode", "fixed"]
        one, e1 = generate_many("models/stories260K", prompts, 24, *args)
        two, e2 = generate_many("models/stories260K", prompts, 24, *args, "--shards", "2", "--strategy", "tensor")
        check("stories260K float32 sparsity 0.5 (fixed): tensor x2 = 1 GPU (4 prompts together)", two, one, e1 or e2)


FAMILIES = ["qwen3-tiny", "gemma2-tiny", "gemma3-tiny", "phi3-tiny", "mistral-swa-tiny"]


def family_checks(check, info):
    """
    The newer families on one GPU: float32 gives transformers' greedy ids (past each sliding window; qwen3-tiny's
    reference masked its prompt's token 0 as padding, so it is left out of that one); in bfloat16 through our kernels
    (head sizes up to 256, Gemma 2's soft cap in the decode kernel, CUDA graphs) 4 prompts together give the ids of
    each alone, and the first 8 tokens of eager ops (OLM_FUSED=0, no graphs).
    """
    prompts = [[(p * 31 + i * 7 + 3) % 400 for p in range(n)] for i, n in enumerate([1, 5, 13, 30])]
    for fixture in FAMILIES:
        folder = f"Tests/Fixtures/families/{fixture}"
        expected = load_file(f"{folder}/expected.safetensors")
        ids = expected["greedy_ids"].tolist()
        p = int(expected["prompt_len"].reshape(-1)[0])
        if fixture != "qwen3-tiny":
            got, error = generate(folder, ids[:p], len(ids) - p, "--dtype", "float32")
            check(f"{fixture} float32, 1 GPU = transformers", got, ids[p:], error)
        together, e1 = generate_many(folder, prompts, 40, "--dtype", "bfloat16")
        alone, e2 = generate_many(folder, prompts, 40, "--dtype", "bfloat16", "--one-by-one")
        check(f"{fixture} bfloat16: 4 prompts together = one by one", together, alone, e1 or e2)
        eager, e3 = generate_many(folder, prompts, 40, "--dtype", "bfloat16", "--one-by-one",
                                  env={**os.environ, "OLM_FUSED": "0", "OLM_CUDA_GRAPHS": "0"})
        head = lambda r: None if r is None else [x[:8] for x in r]
        check(f"{fixture} bfloat16: our kernels = eager ops, first 8 tokens", head(alone), head(eager), e2 or e3)
        info(f"{fixture} bfloat16: our kernels = eager ops, 40 tokens", alone, eager, e2 or e3)


def main():
    quick = "--quick" in sys.argv[1:]
    checks = []

    def check(name, got, want, error):
        checks.append({"check": name, "ok": error is None and got == want, "got": got, "want": want, "error": error})
        print(("ok   " if checks[-1]["ok"] else "FAIL ") + name, file=sys.stderr, flush=True)

    def info(name, got, want, error):
        print(("same " if error is None and got == want else "DIFF ") + name, file=sys.stderr, flush=True)
        checks.append({"check": name, "ok": True, "informational": True, "same": got == want, "error": error})

    if "--tensor" in sys.argv[1:]:
        import torch
        tensor_checks(check, torch.cuda.device_count())
        print(json.dumps({"passed": sum(c["ok"] for c in checks), "failed": sum(not c["ok"] for c in checks), "checks": checks}))
        return 0 if all(c["ok"] for c in checks) else 1
    if "--families" in sys.argv[1:]:
        family_checks(check, info)
        print(json.dumps({"passed": sum(c["ok"] for c in checks), "failed": sum(not c["ok"] for c in checks), "checks": checks}))
        return 0 if all(c["ok"] for c in checks) else 1
    if "--sparse" in sys.argv[1:]:
        sparse_checks(check, info)
        print(json.dumps({"passed": sum(c["ok"] for c in checks), "failed": sum(not c["ok"] for c in checks), "checks": checks}))
        return 0 if all(c["ok"] for c in checks) else 1
    batching_checks(check, info)
    if "--batching" in sys.argv[1:]:
        print(json.dumps({"passed": sum(c["ok"] for c in checks), "failed": sum(not c["ok"] for c in checks), "checks": checks}))
        return 0 if all(c["ok"] for c in checks) else 1
    for fixture in ["llama-tiny", "qwen2-tiny"]:
        folder = f"Tests/Fixtures/{fixture}"
        expected = load_file(f"{folder}/expected.safetensors")
        ids = expected["greedy_ids"].tolist()
        p = int(expected["prompt_len"].reshape(-1)[0])
        prompt, want = ids[:p], ids[p:]
        got, error = generate(folder, prompt, len(want), "--dtype", "float32")
        check(f"{fixture} float32, 1 GPU = transformers", got, want, error)
        if fixture != "llama-tiny":
            continue
        for dtype in ["float32", "bfloat16"]:
            single, error = generate(folder, prompt, len(want), "--dtype", dtype)
            for silos in ["1"] if quick else ["1", "2"]:
                for plan in [["--strategy", "tensor"], ["--strategy", "pipeline"], ["--strategy", "sequence", "--prefill", "ring"],
                             ["--strategy", "sequence", "--prefill", "striped"], ["--strategy", "sequence", "--prefill", "runahead"]][2 if quick else 0:]:
                    got, error = generate(folder, prompt, len(want), "--dtype", dtype, "--shards", "2", "--silos", silos, *plan)
                    check(f"{fixture} {dtype} {' '.join(plan[1::2])} on 2 GPUs, {silos} silo(s) = 1 GPU", got, single, error)
    print(json.dumps({"passed": sum(c["ok"] for c in checks), "failed": sum(not c["ok"] for c in checks), "checks": checks}))
    return 0 if all(c["ok"] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
