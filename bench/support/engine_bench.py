#!/usr/bin/python3
"""python3-torch reference for bench/engine.ts (run with Debian's /usr/bin/python3, torch 1.13).

    engine_bench.py <blasThreads> <intraOpThreads> <sections...>
    sections: sgemm | add | encoder-fused | encoder-composed
    env: BENCH_ENCODER_REPS (5), BENCH_ENCODER_WARMUP (2); OPENBLAS_NUM_THREADS is set by the caller.

Same thread settings as hubtune: torch.set_num_threads(intraOp), OpenBLAS at blasThreads (through
openblas_set_num_threads, the same call hubtune's addon makes). Prints one JSON object.
"""
import ctypes
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def openblas():
    """The OpenBLAS that libtorch's libblas.so.3 resolved to (already loaded), or None."""
    for name in ("libopenblas.so.0", "libblas.so.3"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_num_threads  # noqa: B018 - probe
            return lib
        except (OSError, AttributeError):
            continue
    return None


def sgemm():
    out = {}
    for n in (1024, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        reps = 8 if n <= 1024 else 4
        torch.mm(a, b)
        g = []
        for _ in range(reps):
            t0 = time.perf_counter()
            torch.mm(a, b)
            g.append(2.0 * n ** 3 / (time.perf_counter() - t0) / 1e9)
        out[str(n)] = {"gflops": statistics.median(g), "samples": g}
    return out


def add_overhead():
    def run(grad):
        a, b = torch.randn(1, requires_grad=grad), torch.randn(1)
        batch, batches = 1000, 100
        for _ in range(5000):
            torch.add(a, b)
        us = []
        for _ in range(batches):
            t0 = time.perf_counter()
            for _ in range(batch):
                torch.add(a, b)
            us.append((time.perf_counter() - t0) * 1e6 / batch)
        return statistics.median(us)
    return {"us": run(False), "usRequiresGrad": run(True)}


def encoder(fused):
    B, L, Hd, H, D, I = 8, 128, 768, 12, 64, 3072
    eps = 1e-12

    def param(*shape):
        return (torch.randn(*shape) * 0.02).requires_grad_(True)

    p = dict(wq=param(Hd, Hd), bq=param(Hd), wk=param(Hd, Hd), bk=param(Hd), wv=param(Hd, Hd), bv=param(Hd),
             wo=param(Hd, Hd), bo=param(Hd), g1=torch.ones(Hd, requires_grad=True), b1=torch.zeros(Hd, requires_grad=True),
             wi=param(I, Hd), bi=param(I), wo2=param(Hd, I), bo2=param(Hd),
             g2=torch.ones(Hd, requires_grad=True), b2=torch.zeros(Hd, requires_grad=True))
    x = torch.randn(B, L, Hd, requires_grad=True)

    def heads(t):
        return t.view(B, L, H, D).transpose(1, 2)

    def forward():
        q = heads(F.linear(x, p["wq"], p["bq"]))
        k = heads(F.linear(x, p["wk"], p["bk"]))
        v = heads(F.linear(x, p["wv"], p["bv"]))
        if fused:
            ctx = F._scaled_dot_product_attention(q, k, v, None, 0.0, False, False)[0]
        else:
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D)
            ctx = torch.matmul(torch.softmax(scores, -1), v)
        ctx = ctx.transpose(1, 2).reshape(B, L, Hd)
        h = F.layer_norm(F.linear(ctx, p["wo"], p["bo"]) + x, (Hd,), p["g1"], p["b1"], eps)
        inter = F.gelu(F.linear(h, p["wi"], p["bi"]))
        y = F.layer_norm(F.linear(inter, p["wo2"], p["bo2"]) + h, (Hd,), p["g2"], p["b2"], eps)
        return y.sum()

    warm = int(os.environ.get("BENCH_ENCODER_WARMUP", "2"))
    reps = int(os.environ.get("BENCH_ENCODER_REPS", "5"))
    tot, fwd, bwd = [], [], []
    for r in range(warm + reps):
        for t in p.values():
            t.grad = None
        x.grad = None
        t0 = time.perf_counter()
        loss = forward()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        if r >= warm:
            tot.append((t2 - t0) * 1e3)
            fwd.append((t1 - t0) * 1e3)
            bwd.append((t2 - t1) * 1e3)
    return {"ms": statistics.median(tot), "forwardMs": statistics.median(fwd), "backwardMs": statistics.median(bwd), "samples": tot}


def main():
    if len(sys.argv) < 3:
        print("usage: engine_bench.py <blasThreads> <intraOpThreads> <sections...>", file=sys.stderr)
        return 2
    blas, intra = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(intra)
    lib = openblas()
    if lib is not None:
        lib.openblas_set_num_threads(blas)
    torch.manual_seed(0)
    out = {"torch": torch.__version__,
           "threads": {"intraOp": torch.get_num_threads(), "blas": lib.openblas_get_num_threads() if lib is not None else -1}}
    names = {"sgemm": ("sgemm", sgemm), "add": ("add", add_overhead),
             "encoder-fused": ("encoderFused", lambda: encoder(True)),
             "encoder-composed": ("encoderComposed", lambda: encoder(False))}
    for s in sys.argv[3:]:
        if s not in names:
            print(f"unknown section '{s}'", file=sys.stderr)
            return 2
        key, fn = names[s]
        out[key] = fn()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
