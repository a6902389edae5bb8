#!/usr/bin/python3
"""PyTorch side of bench/models.ts: ViT and RoBERTa written with plain torch.nn (the same architectures
hubtune runs), trained the way the Trainer does (forward under torch.autocast for bf16, backward outside,
clip_grad_norm_ 1.0, AdamW with decay/no-decay groups). One JSON request per stdin line, one JSON answer
per stdout line:
  {"op": "setup", "key", "kind": "vit"|"roberta", "config", "batch", "seq", "num_labels"}
  {"op": "train", "key", "precision": "fp32"|"bf16", "n"}  -> {"stepS": [...]}
  {"op": "free", "key"}
Threads: PyTorch's defaults (what a Python user gets)."""
import json, sys, time, resource, contextlib
import torch, torch.nn as nn, torch.nn.functional as F


def build(a):
    c = a["config"]
    H, NH, L, I = c["hidden_size"], c["num_attention_heads"], c["num_hidden_layers"], c["intermediate_size"]
    pd, ad, eps = c.get("hidden_dropout_prob", 0.1), c.get("attention_probs_dropout_prob", 0.1), c.get("layer_norm_eps", 1e-12)

    class Attn(nn.Module):
        def __init__(s):
            super().__init__(); s.q, s.k, s.v, s.o = (nn.Linear(H, H) for _ in range(4)); s.drop = nn.Dropout(ad)
        def forward(s, x, mask):
            B, T, _ = x.shape; sp = lambda t: t.view(B, T, NH, H // NH).transpose(1, 2)
            sc = sp(s.q(x)) @ sp(s.k(x)).transpose(-1, -2) / (H // NH) ** 0.5
            if mask is not None: sc = sc + mask
            p = s.drop(sc.softmax(-1))
            return s.o((p @ sp(s.v(x))).transpose(1, 2).reshape(B, T, H))

    class Layer(nn.Module):
        def __init__(s, pre):
            super().__init__(); s.pre = pre; s.attn = Attn(); s.ln1, s.ln2 = nn.LayerNorm(H, eps=eps), nn.LayerNorm(H, eps=eps)
            s.fc1, s.fc2, s.drop = nn.Linear(H, I), nn.Linear(I, H), nn.Dropout(pd)
        def forward(s, x, mask=None):
            if s.pre:
                x = x + s.drop(s.attn(s.ln1(x), mask)); return x + s.drop(s.fc2(F.gelu(s.fc1(s.ln2(x)))))
            x = s.ln1(x + s.drop(s.attn(x, mask))); return s.ln2(x + s.drop(s.fc2(F.gelu(s.fc1(x)))))

    class ViT(nn.Module):
        def __init__(s, n):
            super().__init__(); P = c["patch_size"]; N = (c["image_size"] // P) ** 2
            s.patch = nn.Conv2d(c["num_channels"], H, P, P); s.cls = nn.Parameter(torch.randn(1, 1, H) * .02); s.pos = nn.Parameter(torch.randn(1, N + 1, H) * .02)
            s.layers = nn.ModuleList(Layer(True) for _ in range(L)); s.ln = nn.LayerNorm(H, eps=eps); s.head = nn.Linear(H, n)
        def forward(s, x):
            x = s.patch(x).flatten(2).transpose(1, 2); x = torch.cat([s.cls.expand(x.shape[0], -1, -1), x], 1) + s.pos
            for l in s.layers: x = l(x)
            return s.head(s.ln(x)[:, 0])

    class Roberta(nn.Module):
        def __init__(s, n):
            super().__init__(); s.wte = nn.Embedding(c["vocab_size"], H, padding_idx=c["pad_token_id"])
            s.wpe = nn.Embedding(c["max_position_embeddings"], H, padding_idx=c["pad_token_id"]); s.tte = nn.Embedding(c.get("type_vocab_size", 2), H)
            s.ln, s.drop = nn.LayerNorm(H, eps=eps), nn.Dropout(pd); s.layers = nn.ModuleList(Layer(False) for _ in range(L))
            s.dense, s.out = nn.Linear(H, H), nn.Linear(H, n)
        def forward(s, ids, am):
            m = ids.ne(c["pad_token_id"]).int(); pos = torch.cumsum(m, 1) * m + c["pad_token_id"]
            x = s.drop(s.ln(s.wte(ids) + s.wpe(pos.long()) + s.tte(torch.zeros_like(ids))))
            mask = (1.0 - am[:, None, None, :].float()) * torch.finfo(torch.float32).min
            for l in s.layers: x = l(x, mask)
            return s.out(s.drop(torch.tanh(s.dense(s.drop(x[:, 0])))))

    torch.manual_seed(0)
    B, n = a["batch"], a["num_labels"]
    if a["kind"] == "vit":
        model = ViT(n); inputs = (torch.randn(B, 3, c["image_size"], c["image_size"]),)
    else:
        model = Roberta(n); inputs = (torch.randint(3, c["vocab_size"], (B, a["seq"])), torch.ones(B, a["seq"], dtype=torch.long))
    labels = torch.randint(0, n, (B,))
    nd = [p for nm, p in model.named_parameters() if "bias" in nm or "ln" in nm]; ids_nd = {id(p) for p in nd}
    opt = torch.optim.AdamW([{"params": [p for p in model.parameters() if id(p) not in ids_nd], "weight_decay": 0.01}, {"params": nd, "weight_decay": 0.0}], lr=5e-5)
    model.train()
    return model, inputs, labels, opt


def train(state, precision, n):
    model, inputs, labels, opt = state
    times, faults, cpu = [], [], []
    for _ in range(n):
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()
        with ctx:
            loss = F.cross_entropy(model(*inputs), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        faults.append(r1.ru_minflt - r0.ru_minflt); cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    return times, faults, cpu


models = {}
for line in sys.stdin:
    a = json.loads(line)
    try:
        if a["op"] == "setup":
            models[a["key"]] = build(a)
            out = {"params": sum(p.numel() for p in models[a["key"]][0].parameters())}
        elif a["op"] == "train":
            t, f, c = train(models[a["key"]], a["precision"], a.get("n", 1))
            out = {"stepS": t, "pageFaults": f, "cpuS": c}
        elif a["op"] == "free":
            models.pop(a["key"], None); out = {}
        else:
            out = {"error": f"unknown op {a['op']}"}
        out.update({"torch": torch.__version__, "threads": torch.get_num_threads(), "peakRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
    except Exception as e:  # noqa: BLE001 - reported to the bench
        out = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out), flush=True)
