#!/usr/bin/python3
"""PyTorch side of bench/generation.ts: a Llama decoder written with plain torch.nn (RMSNorm, rotary
embeddings, grouped-query attention, SiLU MLP, tied embeddings: the architecture hubtune's llama.ts runs),
greedy generation with and without a KV cache (logits of the last position only, as transformers' generate() asks), and LoRA fine-tuning steps (q_proj/v_proj adapters as
PEFT adds them; only the adapters train). One JSON request per stdin line, one JSON answer per line:
  {"op": "setup", "key", "config", "dtype": "float32"|"bfloat16"}
  {"op": "generate", "key", "prompt": [ids], "max_new_tokens", "use_cache"} -> {"seconds", "newTokens"}
  {"op": "lora_setup", "key", "config", "r", "alpha", "batch", "seq"}
  {"op": "lora_train", "key", "n"} -> {"stepS": [...]}
  {"op": "free", "key"}
Threads: PyTorch's defaults."""
import json, math, sys, time, resource
import torch, torch.nn as nn, torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(s, n, eps):
        super().__init__(); s.weight = nn.Parameter(torch.ones(n)); s.eps = eps
    def forward(s, x):
        dt = x.dtype; x = x.float()
        return s.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + s.eps)).to(dt)


class LoraLinear(nn.Module):
    def __init__(s, base, r, alpha):
        super().__init__(); s.base = base; s.scaling = alpha / r
        s.lora_A = nn.Linear(base.in_features, r, bias=False); s.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.kaiming_uniform_(s.lora_A.weight, a=math.sqrt(5)); nn.init.zeros_(s.lora_B.weight)
    def forward(s, x):
        return s.base(x) + s.lora_B(s.lora_A(x)) * s.scaling


def rotate_half(x):
    a, b = x.chunk(2, -1); return torch.cat((-b, a), -1)


class Attention(nn.Module):
    def __init__(s, c):
        super().__init__(); H = c["hidden_size"]; s.nh = c["num_attention_heads"]; s.nkv = c.get("num_key_value_heads", s.nh); s.hd = H // s.nh
        bias = c.get("attention_bias", False)
        s.q_proj = nn.Linear(H, s.nh * s.hd, bias=bias); s.k_proj = nn.Linear(H, s.nkv * s.hd, bias=bias)
        s.v_proj = nn.Linear(H, s.nkv * s.hd, bias=bias); s.o_proj = nn.Linear(s.nh * s.hd, H, bias=bias)
    def forward(s, x, cos, sin, mask, past):
        B, T, _ = x.shape
        q = s.q_proj(x).view(B, T, s.nh, s.hd).transpose(1, 2)
        k = s.k_proj(x).view(B, T, s.nkv, s.hd).transpose(1, 2)
        v = s.v_proj(x).view(B, T, s.nkv, s.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if past is not None:
            k = torch.cat([past[0], k], 2); v = torch.cat([past[1], v], 2)
        present = (k, v)
        rep = s.nh // s.nkv
        kk, vv = (t.repeat_interleave(rep, 1) if rep > 1 else t for t in (k, v))
        w = q @ kk.transpose(2, 3) / math.sqrt(s.hd)
        if mask is not None: w = w + mask
        w = F.softmax(w, -1, dtype=torch.float32).to(q.dtype)
        return s.o_proj((w @ vv).transpose(1, 2).reshape(B, T, -1)), present


class Layer(nn.Module):
    def __init__(s, c):
        super().__init__(); H, I, eps = c["hidden_size"], c["intermediate_size"], c["rms_norm_eps"]
        s.self_attn = Attention(c); s.input_layernorm = RMSNorm(H, eps); s.post_attention_layernorm = RMSNorm(H, eps)
        s.gate_proj, s.up_proj, s.down_proj = nn.Linear(H, I, bias=False), nn.Linear(H, I, bias=False), nn.Linear(I, H, bias=False)
    def forward(s, x, cos, sin, mask, past):
        a, present = s.self_attn(s.input_layernorm(x), cos, sin, mask, past); x = x + a
        h = s.post_attention_layernorm(x)
        return x + s.down_proj(F.silu(s.gate_proj(h)) * s.up_proj(h)), present


class Llama(nn.Module):
    def __init__(s, c):
        super().__init__(); H = c["hidden_size"]; s.c = c
        s.embed_tokens = nn.Embedding(c["vocab_size"], H); s.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        s.norm = RMSNorm(H, c["rms_norm_eps"]); s.lm_head = nn.Linear(H, c["vocab_size"], bias=False)
        if c.get("tie_word_embeddings", False): s.lm_head.weight = s.embed_tokens.weight
        hd = H // c["num_attention_heads"]
        s.register_buffer("inv_freq", 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)
    def forward(s, ids, past=None, logits_to_keep=0):
        B, T = ids.shape; start = 0 if past is None else past[0][0].shape[2]
        x = s.embed_tokens(ids)
        t = torch.arange(start, start + T).float(); f = torch.outer(t, s.inv_freq); emb = torch.cat((f, f), -1)
        cos, sin = emb.cos().to(x.dtype)[None, None], emb.sin().to(x.dtype)[None, None]
        mask = None
        if T > 1:
            mask = torch.full((T, start + T), torch.finfo(x.dtype).min, dtype=x.dtype).triu(start + 1)[None, None]
        presents = []
        for i, l in enumerate(s.layers):
            x, pr = l(x, cos, sin, mask, None if past is None else past[i]); presents.append(pr)
        h = s.norm(x)
        return s.lm_head(h[:, -logits_to_keep:] if logits_to_keep else h), presents


def init(model, c):
    std = c.get("initializer_range", 0.02)
    for m in model.modules():
        if isinstance(m, nn.Linear): nn.init.normal_(m.weight, 0, std)
        elif isinstance(m, nn.Embedding): nn.init.normal_(m.weight, 0, std)


@torch.no_grad()
def generate(model, prompt, n, use_cache):
    ids = torch.tensor([prompt]); past = None; new = 0
    t0 = time.perf_counter()
    for _ in range(n):
        # the last position's logits only, as transformers' generate() asks with logits_to_keep=1
        if use_cache:
            logits, past = model(ids if past is None else ids[:, -1:], past, logits_to_keep=1)
        else:
            logits, _ = model(ids, logits_to_keep=1)
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        ids = torch.cat([ids, nxt], 1); new += 1
    return time.perf_counter() - t0, new


def lora_setup(a):
    torch.manual_seed(0); c = a["config"]
    model = Llama(c); init(model, c)
    for p in model.parameters(): p.requires_grad_(False)
    for l in model.layers:
        l.self_attn.q_proj = LoraLinear(l.self_attn.q_proj, a["r"], a["alpha"]); l.self_attn.v_proj = LoraLinear(l.self_attn.v_proj, a["r"], a["alpha"])
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0)
    ids = torch.randint(0, c["vocab_size"], (a["batch"], a["seq"]))
    model.train()
    return model, params, opt, ids


def lora_train(state, n):
    model, params, opt, ids = state; times = []
    for _ in range(n):
        t0 = time.perf_counter()
        logits, _ = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1))
        loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
    return times


models = {}
for line in sys.stdin:
    a = json.loads(line)
    try:
        op = a["op"]
        if op == "setup":
            torch.manual_seed(0); m = Llama(a["config"]); init(m, a["config"]); m.eval()
            if a.get("dtype") == "bfloat16": m = m.to(torch.bfloat16)
            models[a["key"]] = m; out = {"params": sum(p.numel() for p in m.parameters())}
        elif op == "generate":
            s, new = generate(models[a["key"]], a["prompt"], a["max_new_tokens"], a["use_cache"]); out = {"seconds": s, "newTokens": new}
        elif op == "lora_setup":
            models[a["key"]] = lora_setup(a); out = {"trainable": sum(p.numel() for p in models[a["key"]][1])}
        elif op == "lora_train":
            out = {"stepS": lora_train(models[a["key"]], a.get("n", 1))}
        elif op == "free":
            models.pop(a["key"], None); out = {}
        else:
            out = {"error": f"unknown op {op}"}
        out.update({"torch": torch.__version__, "threads": torch.get_num_threads(), "peakRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
    except Exception as e:  # noqa: BLE001 - reported to the bench
        out = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out), flush=True)
