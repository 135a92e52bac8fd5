"""Hugging Face transformers baseline for `olm bench`.

Builds a random-weight Llama of the same shape as `olm bench` (Engine/Config/ModelShapes.cs) straight on the
device, or any family's model from a config.json (`--config`, e.g. what `olm models --shape gemma2-9b` prints),
then measures either
  decode:  model.generate() greedy on a random prompt; decode tok/s between the first and last new token,
           time to first token (ttft) and total generate time, via a streamer's timestamps;
  prefill: one forward pass over each prompt length (last logits only, KV cache on), median ms and peak memory.
Warm-up runs are discarded; medians of the repeats are reported. No network: nothing is downloaded.

  python3 bench/hf_baseline.py --shape llama-1b --scenario decode --json
  python3 bench/hf_baseline.py --shape llama-8b --scenario prefill --prompt-tokens 8192,32768 --json
  python3 bench/hf_baseline.py --config /tmp/gemma2-9b.json --scenario batches --batches 1,64 --json
"""
import argparse, inspect, json, platform, statistics, sys, time

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM
from transformers.generation.streamers import BaseStreamer

LLAMA3_SCALING = {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 8192}
SHAPES = {  # must equal Engine/Config/ModelShapes.cs
    "tiny": dict(vocab_size=512, hidden_size=128, intermediate_size=344, num_hidden_layers=4, num_attention_heads=8,
                 num_key_value_heads=4, max_position_embeddings=2048, rope_theta=10000.0, tie_word_embeddings=True,
                 rope_scaling=None),
    "llama-1b": dict(vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                     num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=131072,
                     rope_theta=500000.0, tie_word_embeddings=True, rope_scaling=LLAMA3_SCALING),
    "llama-8b": dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                     num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=131072,
                     rope_theta=500000.0, tie_word_embeddings=False, rope_scaling=LLAMA3_SCALING),
    "llama-70b": dict(vocab_size=128256, hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
                      num_attention_heads=64, num_key_value_heads=8, max_position_embeddings=131072,
                      rope_theta=500000.0, tie_word_embeddings=False, rope_scaling=LLAMA3_SCALING),
}


def make_config(shape):
    s = dict(SHAPES[shape])
    theta, scaling = s.pop("rope_theta"), s.pop("rope_scaling")
    common = dict(s, rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2, hidden_act="silu", attn_implementation="sdpa")
    # transformers 4 takes rope_theta/rope_scaling; 5 converts them into rope_parameters (or may refuse them).
    try:
        cfg = LlamaConfig(**common, rope_theta=theta, rope_scaling=dict(scaling) if scaling else None)
    except TypeError:
        cfg = LlamaConfig(**common, rope_parameters={"rope_type": "default", **(scaling or {}), "rope_theta": theta})
    # An unknown keyword can be stored silently instead of refused, so check what the model will really use.
    rope = getattr(cfg, "rope_parameters", None) or {}
    got_theta = rope.get("rope_theta", getattr(cfg, "rope_theta", None))
    got_type = rope.get("rope_type") or (getattr(cfg, "rope_scaling", None) or {}).get("rope_type", "default")
    if got_theta != theta or got_type != (scaling["rope_type"] if scaling else "default"):
        sys.exit(f"config rope mismatch: theta {got_theta}, type {got_type}")
    return cfg


def build_model(shape, dtype, device):
    cfg = make_config(shape)
    torch.manual_seed(0)
    prev = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # allocate in the target dtype and on the device: 8B in fp32 on CPU is slow
    try:
        with torch.device(device):
            model = LlamaForCausalLM(cfg)
    finally:
        torch.set_default_dtype(prev)
    return model.eval()


def build_from_config(path, dtype, device):
    """A family's model (its architectures entry names the class) from a config.json, random weights on the device.
    from_dict reads an older file's keys (rope_theta, rope_scaling) as loading a checkpoint does."""
    with open(path) as f:
        raw = json.load(f)
    arch = raw["architectures"][0]
    config_cls = getattr(transformers, arch.replace("ForCausalLM", "Config"))
    cfg = config_cls.from_dict(raw)
    cfg._attn_implementation = "sdpa"
    torch.manual_seed(0)
    prev = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = getattr(transformers, arch)(cfg)
    finally:
        torch.set_default_dtype(prev)
    return model.eval()


def build_split(shape, dtype, gpus):
    """The shape's layers split in order over cuda:0..gpus-1 (as device_map="auto" places them, done here by hand so
    a random-weight model needs no checkpoint or accelerate): built on the meta device, each part made on its GPU
    with the usual init (normal 0.02, norms at one), hidden states moved at each boundary by forward pre-hooks."""
    cfg = make_config(shape)
    with torch.device("meta"):
        model = LlamaForCausalLM(cfg).to(dtype)
    m, per = model.model, -(-cfg.num_hidden_layers // gpus)
    last = torch.device(f"cuda:{gpus - 1}")
    placed = [(m.embed_tokens, torch.device("cuda:0"))]
    placed += [(layer, torch.device(f"cuda:{i // per}")) for i, layer in enumerate(m.layers)]
    placed += [(m.norm, last), (model.lm_head, last)]
    torch.manual_seed(0)
    for module, device in placed:
        module.to_empty(device=device)
        for name, p in module.named_parameters():
            torch.nn.init.ones_(p) if p.dim() == 1 else torch.nn.init.normal_(p, std=0.02)
        module.register_forward_pre_hook(lambda mod, args, kwargs, d=device: (to(args, d), to(kwargs, d)), with_kwargs=True)
    m.rotary_emb = type(m.rotary_emb)(config=cfg, device="cuda:0")  # its inv_freq buffer is computed, not loaded
    # generate() appends each token to ids on cuda:0 (as accelerate's hooks give logits back on the input's device).
    model.lm_head.register_forward_hook(lambda mod, args, out: out.to("cuda:0"))
    return model.eval()


def to(x, device):
    if torch.is_tensor(x):
        return x.to(device)
    if isinstance(x, (tuple, list)):
        return type(x)(to(v, device) for v in x)
    if isinstance(x, dict):
        return {k: to(v, device) for k, v in x.items()}
    return x


def prompt(n, vocab, device):
    g = torch.Generator().manual_seed(1234)  # same prompt every run; ids 0..2 are pad/bos/eos
    return torch.randint(3, vocab, (1, n), generator=g).to(device)


def sync(device):
    if device == "cuda":
        for i in range(torch.cuda.device_count()):  # a split model runs on every GPU
            torch.cuda.synchronize(i)


class Stamps(BaseStreamer):
    # generate() hands put() CPU tensors (a .cpu() copy waits for the GPU), so wall-clock stamps are accurate.
    def __init__(self):
        self.times = []

    def put(self, value):
        self.times.append(time.perf_counter())

    def end(self):  # nothing to flush: only the stamps matter
        pass


def run_batches(model, args):
    """Eager generate() of a batch of different random prompts: total output tokens/s over the whole call."""
    n, t = args.prompt_tokens[0], args.tokens
    rows = []
    print(f"{'batch':>6} {'generate_ms':>12} {'output tok/s':>13}")
    for b in args.batches:
        g = torch.Generator().manual_seed(4321)
        ids = torch.randint(3, model.config.vocab_size, (b, n), generator=g).to(args.device)
        mask = torch.ones_like(ids)
        times = []
        for i in range(args.warmup + args.repeats):
            sync(args.device)
            t0 = time.perf_counter()
            out = model.generate(ids, attention_mask=mask, max_new_tokens=t, min_new_tokens=t, do_sample=False,
                                 use_cache=True, pad_token_id=0)
            sync(args.device)
            if out.shape != (b, n + t):
                sys.exit(f"generate returned {tuple(out.shape)}, expected {(b, n + t)}")
            times.append((time.perf_counter() - t0) * 1e3)
        ms = statistics.median(times[args.warmup:])
        rows.append({"batch": b, "prompt_tokens": n, "new_tokens": t, "generate_ms": ms, "output_tokens_per_s": b * t / ms * 1e3})
        print(f"{b:>6} {ms:>12.1f} {b * t / ms * 1e3:>13.1f}")
    return {"results": rows}


def run_decode(model, args):
    n, t = args.prompt_tokens[0], args.tokens
    ids = prompt(n, model.config.vocab_size, args.device)
    mask = torch.ones_like(ids)
    rows = []
    for i in range(args.warmup + args.repeats):
        st = Stamps()
        sync(args.device)
        t0 = time.perf_counter()
        model.generate(ids, attention_mask=mask, max_new_tokens=t, min_new_tokens=t, do_sample=False,
                       use_cache=True, pad_token_id=0, streamer=st)
        sync(args.device)
        t1 = time.perf_counter()
        if len(st.times) != t + 1:  # one put for the prompt, one per new token
            sys.exit(f"streamer saw {len(st.times)} puts, expected {t + 1}")
        if i >= args.warmup:
            rows.append({"repeat": i - args.warmup, "prompt_tokens": n, "new_tokens": t,
                         "ttft_ms": (st.times[1] - t0) * 1e3,
                         "decode_tokens_per_s": (t - 1) / (st.times[-1] - st.times[1]),
                         "generate_ms": (t1 - t0) * 1e3})
    med = {k: statistics.median(r[k] for r in rows) for k in ("decode_tokens_per_s", "ttft_ms", "generate_ms")}
    print(f"{'repeat':>6} {'ttft_ms':>10} {'decode_tok/s':>13} {'generate_ms':>12}")
    for r in rows:
        print(f"{r['repeat']:>6} {r['ttft_ms']:>10.2f} {r['decode_tokens_per_s']:>13.2f} {r['generate_ms']:>12.1f}")
    print(f"{'median':>6} {med['ttft_ms']:>10.2f} {med['decode_tokens_per_s']:>13.2f} {med['generate_ms']:>12.1f}")
    return {"prompt_tokens": n, "new_tokens": t, **med, "results": rows}


def run_prefill(model, args):
    params = inspect.signature(model.forward).parameters
    # Generation's prefill needs only the last logits; the full [n, vocab] logits would dominate memory.
    kw = next(({k: 1} for k in ("logits_to_keep", "num_logits_to_keep") if k in params), {})
    cuda = args.device == "cuda"
    rows = []
    print(f"{'prompt_tokens':>13} {'forward_ms':>11} {'tok/s':>10} {'peak_gib':>9}")
    for n in args.prompt_tokens:
        ids = prompt(n, model.config.vocab_size, args.device)
        if cuda:
            torch.cuda.empty_cache()  # each length's peak should not carry the previous one's blocks
            torch.cuda.reset_peak_memory_stats()
        times = []
        for i in range(args.warmup + args.repeats):
            sync(args.device)
            t0 = time.perf_counter()
            out = model(ids, use_cache=True, **kw)
            sync(args.device)
            times.append((time.perf_counter() - t0) * 1e3)
            del out  # its KV cache must go before the next run
        times = times[args.warmup:]
        ms = statistics.median(times)
        peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
        rows.append({"prompt_tokens": n, "forward_ms": ms, "prefill_tokens_per_s": n / ms * 1e3, "peak_gib": peak,
                     "repeats_ms": times})
        print(f"{n:>13} {ms:>11.2f} {n / ms * 1e3:>10.0f} {peak if peak is not None else float('nan'):>9.2f}")
    return {"logits_kwarg": next(iter(kw), None), "ttft_ms": rows[0]["forward_ms"], "results": rows}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", choices=list(SHAPES), default="llama-1b", help="model shape, as in olm bench")
    p.add_argument("--config", help="a config.json of any family transformers has (instead of --shape; one GPU)")
    p.add_argument("--scenario", choices=["decode", "prefill", "batches"], default="decode",
                   help="what to time (see above); batches: total output tokens/s of generate() at each --batches size")
    p.add_argument("--batches", default="1,8,32,64", help="batches: batch sizes to time")
    p.add_argument("--prompt-tokens", help="prompt length(s), comma list for prefill "
                   "(default: 128 for decode, 8192,32768 for prefill); decode takes one")
    p.add_argument("--tokens", type=int, default=128, help="decode: new tokens per generate (>= 2)")
    p.add_argument("--warmup", type=int, default=1, help="discarded runs before timing")
    p.add_argument("--repeats", type=int, default=3, help="timed runs; medians are reported")
    p.add_argument("--dtype", choices=["bfloat16", "float16", "float32"], default="bfloat16")
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--gpus", type=int, default=1, help="split the layers in order over this many GPUs (a model too big for one)")
    p.add_argument("--json", action="store_true", help="print one JSON object as stdout's last line")
    args = p.parse_args()
    default = "128" if args.scenario == "decode" else "8192,32768"
    args.prompt_tokens = [int(x) for x in (args.prompt_tokens or default).split(",")]
    args.batches = [int(x) for x in args.batches.split(",")]
    decode = args.scenario in ("decode", "batches")
    if decode and (len(args.prompt_tokens) != 1 or args.tokens < 2):
        p.error("decode takes one --prompt-tokens value and --tokens >= 2")
    if args.repeats < 1 or args.warmup < 0 or min(args.prompt_tokens) < 1:
        p.error("need --repeats >= 1, --warmup >= 0 and prompt lengths >= 1")
    if args.config:
        with open(args.config) as f:
            context = json.load(f)["max_position_embeddings"]
        args.shape = args.config
    else:
        context = SHAPES[args.shape]["max_position_embeddings"]
    if max(args.prompt_tokens) + (args.tokens if decode else 0) > context:
        p.error(f"prompt (+ new tokens) exceeds {args.shape}'s context")

    transformers.logging.set_verbosity_error()  # keep generate's config warnings out of the table
    device_name = torch.cuda.get_device_name() if args.device == "cuda" else (platform.processor() or "cpu")
    print(f"transformers {transformers.__version__}, torch {torch.__version__} (CUDA {torch.version.cuda}), "
          f"device {device_name}")
    with torch.inference_mode():
        t0 = time.perf_counter()
        model = (build_from_config(args.config, getattr(torch, args.dtype), args.device) if args.config
                 else build_split(args.shape, getattr(torch, args.dtype), args.gpus) if args.gpus > 1
                 else build_model(args.shape, getattr(torch, args.dtype), args.device))
        sync(args.device)
        n_params = sum(x.numel() for x in model.parameters())
        print(f"shape {args.shape}: {n_params / 1e9:.3f}B params, {args.dtype}, "
              f"attn {model.config._attn_implementation}, built in {time.perf_counter() - t0:.1f}s; "
              f"{args.scenario}, warmup {args.warmup}, repeats {args.repeats}")
        res = (run_batches(model, args) if args.scenario == "batches" else run_decode(model, args) if decode
               else run_prefill(model, args))
    if args.json:
        print(json.dumps({"baseline": "transformers", "transformers": transformers.__version__,
                          "torch": torch.__version__, "device": device_name, "shape": args.shape,
                          "dtype": args.dtype, "gpus": args.gpus, "scenario": args.scenario, "warmup": args.warmup,
                          "repeats": args.repeats, **res}))


if __name__ == "__main__":
    main()
