#!/usr/bin/env python3
"""Our paged decode attention (Native/olm_kernels.cu, olm_paged_decode) against float64 math, on the GPU machine:
the head sizes of every family (64, 128; Gemma's 256), its group sizes, and Gemma 2's soft cap on the scores; a row
alone gives the same bits as in its batch. Prints one JSON object; exit 1 if a check fails.

Usage: python3 bench/kernel_check.py LIB.so > kernel-check.json (LIB.so from bash Native/build.sh)
"""
import json
import math
import sys

import torch

DEV = "cuda"


def case(dtype, d, hq, kv, softcap):
    torch.manual_seed(d + hq)
    b, length = 5, 640
    slots = b * length + 8
    keys = torch.randn(kv, slots, d, device=DEV, dtype=dtype)
    values = torch.randn(kv, slots, d, device=DEV, dtype=dtype)
    lens = [1, 77, 300, 513, 640]
    gather = torch.zeros(b, length, dtype=torch.long, device=DEV)
    bias = torch.full((b, kv, hq // kv, length), float("-inf"), device=DEV, dtype=dtype)
    for r in range(b):
        gather[r, : lens[r]] = torch.randperm(slots, device=DEV)[: lens[r]]
        bias[r, :, :, : lens[r]] = 0
    q = torch.randn(b, hq, d, device=DEV, dtype=dtype) * 2  # scores large enough for the cap to bend them
    got = torch.ops.aten.olm_paged_decode(q, keys, values, gather, bias, softcap)
    ref = torch.empty(b, hq, d, dtype=torch.float64, device=DEV)
    for r in range(b):
        k = keys[:, gather[r, : lens[r]]].double().repeat_interleave(hq // kv, 0)
        v = values[:, gather[r, : lens[r]]].double().repeat_interleave(hq // kv, 0)
        s = torch.einsum("hd,hld->hl", q[r].double(), k) / math.sqrt(d)
        if softcap > 0:
            s = softcap * torch.tanh(s / softcap)
        ref[r] = torch.einsum("hl,hld->hd", s.softmax(-1), v)
    err = (got.double() - ref).abs().max().item()
    # The output is rounded to the dtype once: half a unit in the last place of values about 1, and a little more.
    bound = 4 * torch.finfo(dtype).eps
    alone = torch.ops.aten.olm_paged_decode(q[3:4].contiguous(), keys, values, gather[3:4], bias[3:4].contiguous(), softcap)
    return {"max_err": err, "bound": bound, "ok": err <= bound, "alone_bitwise": bool(torch.equal(alone, got[3:4]))}


def main():
    torch.ops.load_library(sys.argv[1])
    out = {"card": torch.cuda.get_device_name(), "torch": torch.__version__}
    failed = []
    for dtype, d, hq, kv, cap in ((torch.bfloat16, 64, 32, 8, 0.0), (torch.bfloat16, 128, 32, 8, 0.0),
                                  (torch.float16, 128, 28, 4, 0.0), (torch.bfloat16, 256, 16, 8, 0.0),
                                  (torch.bfloat16, 256, 16, 8, 50.0), (torch.bfloat16, 256, 32, 8, 0.0),
                                  (torch.bfloat16, 128, 16, 8, 50.0)):
        name = f"paged_decode {str(dtype).split('.')[1]} D{d} {hq}/{kv} cap {cap:g}"
        try:
            out[name] = r = case(dtype, d, hq, kv, cap)
            if not (r["ok"] and r["alone_bitwise"]):
                failed.append(name)
        except Exception as e:
            out[name] = {"error": repr(e)[:300]}
            failed.append(name)
    out["failed"] = failed
    print(json.dumps(out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
