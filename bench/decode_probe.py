#!/usr/bin/env python3
"""Where a decode step's time goes, on the GPU machine: our layer scripts (Engine/Model/*.torchscript) compiled here in
Python with either hook file, random weights of a model shape, a decode batch over a paged pool.

  - checks: each native op (Native/olm_kernels.cu) against the eager ops it replaces (bit for bit where it rounds as
    they do) or float64 math (attention, sparse products), and a row alone against the same row in a batch; the
    failed ones listed in checks_failed (exit status 1 when any fail or the checks break);
  - steps: a decode step's layers captured as a CUDA graph, eager hooks against native ones (ms a replay), the head;
  - kernels: the device time of each kernel of one eager step (torch.profiler), by name;
  - sparse: an 8B-shape MLP and attention projections at 25/50/75% of their neurons and heads against dense.

Usage: python3 bench/decode_probe.py LIB.so [--shapes llama-1b,llama-8b] [--parts checks,steps,matmuls,sparse] > probe.json (run from the repository root).
"""
import argparse
import json
import math
import sys
import types
import typing

import torch
from torch import Tensor as TorchTensor
from torch.jit import CompilationUnit

DEV = "cuda"
SHAPES = {  # hidden, layers, query heads, KV heads, FFN, vocabulary
    "llama-1b": (2048, 16, 32, 8, 8192, 128256),
    "llama-8b": (4096, 32, 32, 8, 14336, 128256),
}


class Aten(types.ModuleType):
    """`torch` as a script compiled from C++ sees it (TorchSharp's jit.compile): torch.NAME is the op aten::NAME."""

    def __getattr__(self, name):
        return getattr(torch.ops.aten, name)


def unit(hooks, *extra):
    src = open("Engine/Model/Kernels.torchscript").read()
    src = src.replace("# @hooks\n", open(f"Engine/Model/Kernels.{hooks}.torchscript").read())
    for e in extra:
        src += "\n" + open(e).read()
    return compile_unit(src)


def compile_unit(src):
    # The compiler resolves the script's names from this frame: torch as Aten, and the types it annotates with.
    torch, Tensor, List, Tuple = Aten("torch"), TorchTensor, typing.List, typing.Tuple  # noqa: F841
    return CompilationUnit(src)


def rope_tables(pos, d, dtype):
    inv = 1.0 / (500000.0 ** (torch.arange(0, d, 2, device=DEV).float() / d))
    fr = pos.float()[:, None] * inv[None]
    emb = torch.cat([fr, fr], 1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def bias_of(mask, dtype, kv, g):
    b = torch.zeros(mask.size(0), kv, g, mask.size(3), dtype=dtype, device=DEV)
    return b.masked_fill_(~mask, float("-inf"))


def checks(P, N):
    out = {}
    torch.manual_seed(0)
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        name = str(dtype).split(".")[1]
        t, hq, kv, d = 7, 8, 2, 64
        qkv = torch.randn(t, (hq + 2 * kv) * d, device=DEV, dtype=dtype)
        cos, sin = rope_tables(torch.randint(0, 4000, (t,), device=DEV), d, dtype)
        slots = torch.randperm(64, device=DEV)[:t]
        k1 = torch.zeros(kv, 64, d, device=DEV, dtype=dtype)
        v1, k2, v2 = k1.clone(), k1.clone(), k1.clone()
        qa = P.rope_kv_portable(qkv, cos, sin, k1, v1, slots, hq, kv, d)
        qb = N.rope_kv(qkv, cos, sin, k2, v2, slots, hq, kv, d)
        out[f"rope_kv {name} bitwise"] = bool(torch.equal(qa, qb) and torch.equal(k1, k2) and torch.equal(v1, v2))
        gu = torch.randn(5, 2 * 96, device=DEV, dtype=dtype) * 3
        out[f"silu_mul {name} bitwise"] = bool(torch.equal(P.swiglu_portable(gu), N.swiglu(gu)))
    # Attention (16-bit: float32 keeps the eager ops): float64 reference; a row alone and with more padding gives the
    # same bits as in its batch.
    for dtype, d, hq, kv in ((torch.bfloat16, 64, 32, 8), (torch.bfloat16, 128, 28, 4),
                             (torch.bfloat16, 16, 4, 4), (torch.float16, 128, 64, 8)):
        name = f"paged_decode {str(dtype).split('.')[1]} D{d} {hq}/{kv}"
        b, length, slots = 5, 640, 5 * 640 + 8
        keys = torch.randn(kv, slots, d, device=DEV, dtype=dtype)
        values = torch.randn(kv, slots, d, device=DEV, dtype=dtype)
        lens = torch.tensor([1, 77, 300, 513, 640])
        gather = torch.zeros(b, length, dtype=torch.long, device=DEV)
        mask = torch.zeros(b, 1, 1, length, dtype=torch.bool, device=DEV)
        for r in range(b):
            gather[r, : lens[r]] = torch.randperm(slots, device=DEV)[: lens[r]]
            mask[r, 0, 0, : lens[r]] = True
        q = torch.randn(hq, b, d, device=DEV, dtype=dtype)
        bias = bias_of(mask, dtype, kv, hq // kv)
        got = N.decode_attend(q, keys, values, gather, bias)
        port = P.decode_attend_portable(q, keys, values, gather, bias)
        ref = torch.empty(hq, b, d, dtype=torch.float64, device=DEV)
        for r in range(b):
            k = keys[:, gather[r, : lens[r]]].double().repeat_interleave(hq // kv, 0)
            v = values[:, gather[r, : lens[r]]].double().repeat_interleave(hq // kv, 0)
            s = torch.einsum("hd,hld->hl", q[:, r].double(), k) / math.sqrt(d)
            ref[:, r] = torch.einsum("hl,hld->hd", s.softmax(-1), v)
        err = (got.double() - ref).abs().max().item()
        perr = (port.double() - ref).abs().max().item()
        alone = N.decode_attend(q[:, 3:4].contiguous(), keys, values, gather[3:4], bias[3:4])
        wide_g = torch.cat([gather[3:4], torch.zeros(1, 256, dtype=torch.long, device=DEV)], 1)
        wide_m = torch.cat([mask[3:4], torch.zeros(1, 1, 1, 256, dtype=torch.bool, device=DEV)], 3)
        wide = N.decode_attend(q[:, 3:4].contiguous(), keys, values, wide_g, bias_of(wide_m, dtype, kv, hq // kv))
        out[name] = {"max_err": err, "portable_err": perr, "ok": err <= max(2 * perr, 1e-5),
                     "alone_bitwise": bool(torch.equal(alone, got[:, 3:4])), "padded_bitwise": bool(torch.equal(wide, alone))}
    for dtype in (torch.float32, torch.bfloat16):
        name = str(dtype).split(".")[1]
        n, h, f, k = 3, 512, 1024, 300
        x = torch.randn(n, h, device=DEV, dtype=dtype)
        norm = torch.rand(h, device=DEV, dtype=dtype) + 0.5
        res = torch.randn(n, h, device=DEV, dtype=dtype)
        none = x.new_empty([0])
        xn = x.double() * torch.rsqrt(x.double().pow(2).mean(1, keepdim=True) + 1e-5) * norm.double()
        wn = torch.randn(f, 3 * h, device=DEV, dtype=dtype) / math.sqrt(h)
        idx = torch.stack([torch.randperm(f, device=DEV)[:k].sort().values for _ in range(n)])
        bias = torch.randn(h, device=DEV, dtype=dtype)
        got = torch.ops.aten.olm_neurons(x, wn, idx, norm, 1e-5, bias, res).double()
        rows = wn.double()[idx]  # [n, k, 3h]
        g = torch.einsum("nkh,nh->nk", rows[..., :h], xn)
        u = torch.einsum("nkh,nh->nk", rows[..., h:2 * h], xn)
        ref = res.double() + bias.double() + torch.einsum("nk,nkh->nh", torch.nn.functional.silu(g) * u, rows[..., 2 * h:])
        out[f"neurons {name} rel_err"] = ((got - ref).abs().max() / ref.abs().max()).item()
        # q of 12 of 32 heads of 64 and the 256 rows after them (keys and values) in one pass, with a bias
        heads = torch.stack([torch.randperm(32, device=DEV)[:12].sort().values for _ in range(n)])
        w = torch.randn(2048 + 256, h, device=DEV, dtype=dtype) / math.sqrt(h)
        wb = torch.randn(2048 + 256, device=DEV, dtype=dtype)
        q = torch.zeros(n, 2048 + 256, device=DEV, dtype=dtype)
        torch.ops.aten.olm_rows_dot(x, w, heads, 64, 256, norm, 1e-5, wb, q)
        chosen = (heads[:, :, None] * 64 + torch.arange(64, device=DEV)).reshape(n, -1)
        picked = torch.cat([chosen, torch.arange(2048, 2048 + 256, device=DEV).expand(n, 256)], 1)
        qref = torch.zeros(n, 2048 + 256, dtype=torch.float64, device=DEV).scatter_(
            1, picked, torch.einsum("nmh,nh->nm", w.double()[picked], xn) + wb.double()[picked])
        out[f"rows_dot {name} rel_err"] = ((q.double() - qref).abs().max() / qref.abs().max()).item()
        a = torch.randn(n, 2048, device=DEV, dtype=dtype)
        wo = torch.randn(h, 2048, device=DEV, dtype=dtype) / math.sqrt(2048)  # o_proj [H, heads·64]
        ho = torch.ops.aten.olm_heads_linear(a, wo, heads, 64, bias, res).double()
        href = res.double() + bias.double() + torch.einsum("nm,nhm->nh", a.double().gather(1, chosen), wo.double()[:, chosen].permute(1, 0, 2))
        out[f"heads_linear {name} rel_err"] = ((ho - href).abs().max() / href.abs().max()).item()
        # a row alone gives the bits it gives in its batch; one choice broadcast to every row equals it copied
        alone = torch.ops.aten.olm_neurons(x[1:2], wn, idx[1:2], norm, 1e-5, bias, res[1:2])
        out[f"neurons {name} alone_bitwise"] = bool(torch.equal(alone, torch.ops.aten.olm_neurons(x, wn, idx, norm, 1e-5, bias, res)[1:2]))
        alone = torch.ops.aten.olm_heads_linear(a[1:2], wo, heads[1:2], 64, bias, res[1:2])
        out[f"heads_linear {name} alone_bitwise"] = bool(torch.equal(alone, torch.ops.aten.olm_heads_linear(a, wo, heads, 64, bias, res)[1:2]))
        one = idx[:1].expand(n, k)
        out[f"neurons {name} broadcast_bitwise"] = bool(torch.equal(
            torch.ops.aten.olm_neurons(x, wn, one, norm, 1e-5, bias, res),
            torch.ops.aten.olm_neurons(x, wn, one.contiguous(), norm, 1e-5, bias, res)))
    # GEMV with its RMSNorm, bias and residual against float64 math (and a row alone against the same row in a batch).
    for m in (1, 3, 8):
        k, n = 1024, 520
        x = torch.randn(m, k, device=DEV, dtype=torch.bfloat16)
        w = torch.randn(n, k, device=DEV, dtype=torch.bfloat16) / math.sqrt(k)
        norm = torch.rand(k, device=DEV, dtype=torch.bfloat16) + 0.5
        res = torch.randn(m, n, device=DEV, dtype=torch.bfloat16)
        bias = torch.randn(n, device=DEV, dtype=torch.bfloat16)
        none = x.new_empty([0])
        xd = x.double()
        normed = xd * torch.rsqrt(xd.pow(2).mean(1, keepdim=True) + 1e-5) * norm.double()
        got = torch.ops.aten.olm_gemv(x, w, norm, 1e-5, bias, res).double()
        ref = normed @ w.double().t() + bias.double() + res.double()
        eager = (P.norm_linear(x, norm, 1e-5, w, bias) + res).double()
        out[f"gemv rms+bias+res M{m} max_err (eager ops)"] = [(got - ref).abs().max().item(), (eager - ref).abs().max().item()]
        got2 = torch.ops.aten.olm_gemv(x, w, none, 0.0, none, res).double()
        ref2 = xd @ w.double().t() + res.double()
        out[f"gemv res M{m} max_err (eager ops)"] = [(got2 - ref2).abs().max().item(),
                                                     (P.residual_linear(res, x, w, none).double() - ref2).abs().max().item()]
        if m > 1:
            alone = torch.ops.aten.olm_gemv(x[1:2], w, norm, 1e-5, bias, res[1:2])
            out[f"gemv M{m} alone_bitwise"] = bool(torch.equal(alone, torch.ops.aten.olm_gemv(x, w, norm, 1e-5, bias, res)[1:2]))
    return out


def failures(results):
    """The checks that fail: a bitwise check not equal; attention beyond twice the eager ops' error or not the same
    alone and padded; a sparse product's max error relative to its largest output beyond the dtype's unit roundoff
    (2^-8 for bfloat16, 1e-5 for float32 sums); a GEMV's error beyond twice the eager ops'."""
    bad = []
    for name, v in results.items():
        if isinstance(v, bool):
            ok = v
        elif isinstance(v, dict):
            ok = v["ok"] and v["alone_bitwise"] and v["padded_bitwise"]
        elif name.endswith("rel_err"):
            ok = v <= (2 ** -8 if "bfloat16" in name else 1e-5)
        else:  # [ours, the eager ops'] max errors
            ok = v[0] <= 2 * v[1] + 1e-6
        if not ok:
            bad.append(name)
    return bad


def matmuls(shape="llama-8b", copies=8):
    """One decode row through each of a layer's matrices: cuBLAS (torch.mm) against our GEMV, in µs a matrix."""
    h, _, hq, kv, ffn, _ = SHAPES[shape]
    d = h // hq
    res = {}
    for name, (n, k) in {"qkv": ((hq + 2 * kv) * d, h), "o": (h, hq * d), "gate_up": (2 * ffn, h), "down": (h, ffn)}.items():
        ws = [torch.randn(n, k, device=DEV, dtype=torch.bfloat16) * 0.02 for _ in range(copies)]
        x = torch.randn(1, k, device=DEV, dtype=torch.bfloat16)
        none = x.new_empty([0])
        mm = graph_ms(lambda: [torch.mm(x, w.t()) for w in ws]) / copies * 1000
        gv = graph_ms(lambda: [torch.ops.aten.olm_gemv(x, w, none, 0.0, none, none) for w in ws]) / copies * 1000
        gb = n * k * 2 / 1e9
        res[name] = {"MB": gb * 1000, "cublas_us": mm, "gemv_us": gv, "cublas_TBps": gb / mm * 1e3, "gemv_TBps": gb / gv * 1e3}
        del ws
    return res


def weights(shape, dtype=torch.bfloat16):
    h, layers, hq, kv, ffn, vocab = SHAPES[shape]
    d = h // hq
    none = torch.empty(0, device=DEV, dtype=dtype)
    w = []
    for _ in range(layers):
        w += [torch.ones(h, device=DEV, dtype=dtype), torch.randn((hq + 2 * kv) * d, h, device=DEV, dtype=dtype) * 0.02,
              none, torch.randn(h, hq * d, device=DEV, dtype=dtype) * 0.02, none, torch.ones(h, device=DEV, dtype=dtype),
              torch.randn(2 * ffn, h, device=DEV, dtype=dtype) * 0.02, none,
              torch.randn(h, ffn, device=DEV, dtype=dtype) * 0.02, none]
    head = torch.randn(vocab, h, device=DEV, dtype=dtype) * 0.02
    return w, head


def decode_args(shape, w, b, length, dtype=torch.bfloat16):
    h, layers, hq, kv, ffn, vocab = SHAPES[shape]
    d = h // hq
    slots = b * length + 64
    keys = [torch.randn(kv, slots, d, device=DEV, dtype=dtype) for _ in range(layers)]
    values = [torch.randn(kv, slots, d, device=DEV, dtype=dtype) for _ in range(layers)]
    lens = [max(1, length - 20 - 3 * r % 60) for r in range(b)]
    gather = torch.zeros(b, length, dtype=torch.long, device=DEV)
    mask = torch.zeros(b, 1, 1, length, dtype=torch.bool, device=DEV)
    for r in range(b):
        gather[r, : lens[r]] = torch.arange(r * length, r * length + lens[r], device=DEV)
        mask[r, 0, 0, : lens[r]] = True
    pos = torch.tensor([n - 1 for n in lens], device=DEV)
    write = gather[torch.arange(b, device=DEV), pos]
    cos, sin = rope_tables(pos, d, dtype)
    x = torch.randn(b, h, device=DEV, dtype=dtype)
    empty_l = torch.empty(0, dtype=torch.long, device=DEV)
    empty_i = torch.empty(0, dtype=torch.int32, device=DEV)
    return (x, w, keys, values, write, cos, sin, b, gather, mask, torch.zeros(0, 2, dtype=torch.long), [], empty_l,
            empty_i, empty_i, 0, 0, hq, kv, d, 1e-5)


def graph_ms(fn, reps=50):
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    g.replay()
    torch.cuda.synchronize()
    a, z = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    for _ in range(reps):
        g.replay()
    z.record()
    torch.cuda.synchronize()
    return a.elapsed_time(z) / reps


def eager_ms(fn, reps=20):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    a, z = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    for _ in range(reps):
        fn()
    z.record()
    torch.cuda.synchronize()
    return a.elapsed_time(z) / reps


def kernel_times(fn, reps=5):
    from torch.profiler import ProfilerActivity, profile
    fn()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(reps):
            fn()
        torch.cuda.synchronize()
    rows = []
    for e in prof.key_averages():
        t = getattr(e, "device_time_total", None) or getattr(e, "cuda_time_total", 0)
        if t > 0 and not e.key.startswith("aten::") and not e.key.startswith("cuda"):
            rows.append({"kernel": e.key[:110], "us_per_step": t / reps, "launches_per_step": e.count / reps})
    rows.sort(key=lambda r: -r["us_per_step"])
    return {"busy_ms": sum(r["us_per_step"] for r in rows) / 1000,
            "launches": sum(r["launches_per_step"] for r in rows), "top": rows[:25]}


def steps(P, N, shape, batches):
    w, head = weights(shape)
    h = SHAPES[shape][0]
    norm = torch.ones(h, device=DEV, dtype=torch.bfloat16)
    res = {"weights_gb": (sum(t.numel() for t in w) + head.numel()) * 2 / 1e9}
    for b, length in batches:
        args = decode_args(shape, w, b, length)
        r = {}
        for name, u in (("eager_hooks", P), ("native_hooks", N)):
            r[name + "_graph_ms"] = graph_ms(lambda: u.forward_batch(*args))
            r[name + "_eager_ms"] = eager_ms(lambda: u.forward_batch(*args))
            if b == 1:
                r[name + "_kernels"] = kernel_times(lambda: u.forward_batch(*args))
        xa = P.forward_batch(*args)
        xb = N.forward_batch(*args)
        r["native_vs_eager_max_diff"] = (xa.float() - xb.float()).abs().max().item()
        x = args[0]
        r["head_graph_ms"] = graph_ms(lambda: torch.nn.functional.linear(torch.rms_norm(x, [h], norm, 1e-5), head).float().argmax(-1))
        r["head_eager_ms_with_sync"] = eager_ms(lambda: torch.nn.functional.linear(torch.rms_norm(x, [h], norm, 1e-5), head).float().argmax(-1).cpu())
        res[f"B{b} L{length}"] = r
        del args
        torch.cuda.empty_cache()
    del w, head
    torch.cuda.empty_cache()
    return res


def sparse(shape="llama-8b", layers=8):
    h, _, hq, kv, ffn, _ = SHAPES[shape]
    d = h // hq
    dt = torch.bfloat16
    gu = [torch.randn(2 * ffn, h, device=DEV, dtype=dt) * 0.02 for _ in range(layers)]
    down = [torch.randn(h, ffn, device=DEV, dtype=dt) * 0.02 for _ in range(layers)]
    wn = [torch.cat([g[:ffn], g[ffn:], dn.t()], 1).contiguous() for g, dn in zip(gu, down)]
    x = torch.randn(1, h, device=DEV, dtype=dt)
    res = {}

    def dense_mlp():
        for i in range(layers):
            a = torch.ops.aten.olm_silu_mul(torch.mm(x, gu[i].t()))
            torch.addmm(x, a, down[i].t())
    res["mlp dense ms/layer"] = graph_ms(dense_mlp) / layers
    none = x.new_empty([0])

    def gemv_mlp():
        for i in range(layers):
            a = torch.ops.aten.olm_silu_mul(torch.ops.aten.olm_gemv(x, gu[i], none, 0.0, none, none))
            torch.ops.aten.olm_gemv(a, down[i], none, 0.0, none, x)
    res["mlp dense gemv ms/layer"] = graph_ms(gemv_mlp) / layers
    att = torch.randn(1, hq * d, device=DEV, dtype=dt)
    wqkv = [torch.randn((hq + 2 * kv) * d, h, device=DEV, dtype=dt) * 0.02 for _ in range(layers)]
    wo = [torch.randn(h, hq * d, device=DEV, dtype=dt) * 0.02 for _ in range(layers)]
    norm = torch.ones(h, device=DEV, dtype=dt)

    def dense_qo():
        for i in range(layers):
            torch.ops.aten.olm_gemv(x, wqkv[i], norm, 1e-5, none, none)
            torch.ops.aten.olm_gemv(att, wo[i], none, 0.0, none, x)
    res["qkv+o dense gemv ms/layer"] = graph_ms(dense_qo) / layers
    # rows_dot over every row of qkv (no choice, all tail) against the GEMV: what picking rows costs
    q = torch.zeros(1, (hq + 2 * kv) * d, device=DEV, dtype=dt)
    nothing = torch.zeros(1, 0, dtype=torch.long, device=DEV)
    res["qkv gemv ms/layer"] = graph_ms(lambda: [torch.ops.aten.olm_gemv(x, wqkv[i], norm, 1e-5, none, none) for i in range(layers)]) / layers
    res["qkv rows_dot all rows ms/layer"] = graph_ms(lambda: [torch.ops.aten.olm_rows_dot(x, wqkv[i], nothing, d, wqkv[i].size(0), norm, 1e-5, none, q) for i in range(layers)]) / layers
    for s in (0.25, 0.5, 0.75):
        k = int(ffn * (1 - s))
        idx = torch.randperm(ffn, device=DEV)[:k].sort().values.unsqueeze(0)

        def sparse_mlp():
            for i in range(layers):
                torch.ops.aten.olm_neurons(x, wn[i], idx, norm, 1e-5, none, x)
        kh = max(1, int(hq * (1 - s)))
        heads = torch.randperm(hq, device=DEV)[:kh].sort().values.unsqueeze(0)

        def sparse_qo():
            for i in range(layers):
                q = torch.zeros(1, (hq + 2 * kv) * d, device=DEV, dtype=dt)
                torch.ops.aten.olm_rows_dot(x, wqkv[i], heads, d, 2 * kv * d, norm, 1e-5, none, q)
                torch.ops.aten.olm_heads_linear(att, wo[i], heads, d, none, x)
        res[f"mlp sparse {s} ms/layer"] = graph_ms(sparse_mlp) / layers
        res[f"qkv+o sparse {s} ms/layer"] = graph_ms(sparse_qo) / layers
        if s == 0.5:
            res["mlp sparse 0.5 kernels"] = kernel_times(sparse_mlp)
            res["qkv+o sparse 0.5 kernels"] = kernel_times(sparse_qo)
    bw = 3.35e12
    res["mlp bound ms/layer (3.35 TB/s)"] = 3 * h * ffn * 2 / bw * 1e3
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("--shapes", default="llama-1b,llama-8b")
    ap.add_argument("--parts", default="checks,steps,matmuls,sparse", help="which parts to run")
    args = ap.parse_args()
    parts = args.parts.split(",")
    torch.ops.load_library(args.lib)
    P, N = unit("Portable"), unit("Native")
    report = {"card": torch.cuda.get_device_name(), "torch": torch.__version__}
    if "checks" in parts:
        try:
            report["checks"] = checks(P, N)
            report["checks_failed"] = failures(report["checks"])
        except Exception as e:  # keep the timings even when a check breaks
            report["checks_error"] = repr(e)
        print(json.dumps(report, indent=1), file=sys.stderr)
    for shape in args.shapes.split(",") if "steps" in parts else []:
        try:
            report[shape] = steps(P, N, shape, [(1, 256), (64, 384)])
        except Exception as e:
            report[shape + "_error"] = repr(e)
        print(json.dumps(report.get(shape), indent=1), file=sys.stderr)
    if "matmuls" in parts:
        try:
            report["matmuls llama-8b"] = matmuls("llama-8b")
            report["matmuls llama-1b"] = matmuls("llama-1b")
        except Exception as e:
            report["matmuls_error"] = repr(e)
    if "sparse" in parts:
        try:
            report["sparse llama-8b"] = sparse()
        except Exception as e:
            report["sparse_error"] = repr(e)
    print(json.dumps(report, indent=1))
    return 1 if report.get("checks_failed") or "checks_error" in report else 0


if __name__ == "__main__":
    sys.exit(main())
