#!/usr/bin/python3
"""PyTorch side of bench/inference.ts, and the ONNX export for its transformers.js side.

The models are ViTForImageClassification and RobertaForSequenceClassification written with plain torch.nn
under transformers' parameter names, so they load the very model.safetensors hubtune saved (same weights
on every side). Attention is the eager path (PyTorch 1.13 has no scaled_dot_product_attention).
One JSON request per stdin line, one JSON answer per stdout line:
  {"op": "export", "dir"}                         -> writes dir/onnx/model.onnx (fp32) and model_quantized.onnx (q8)
  {"op": "setup", "key", "dir"}                    -> loads the model for forward passes
  {"op": "forward", "key", "precision": "fp32"|"bf16", "batch", "seq"} -> {"ms"}
Threads: PyTorch's defaults (what a Python user gets)."""
import json, os, struct, sys, time, contextlib
import torch, torch.nn as nn, torch.nn.functional as F

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, m in header.items():
        if name == "__metadata__":
            continue
        a, b = m["data_offsets"]
        dt = DTYPES[m["dtype"]]
        out[name] = torch.frombuffer(data, dtype=dt, count=(b - a) // torch.tensor([], dtype=dt).element_size(), offset=a).reshape(m["shape"]).clone()
    return out


def num_labels(c):
    return len(c["id2label"]) if "id2label" in c else c.get("num_labels", 2)


def node(**children):
    m = nn.Module()
    for k, v in children.items():
        m.add_module(k, v)
    return m


def attention(H, NH, x, q, k, v, mask):
    B, T, _ = x.shape
    sp = lambda t: t.view(B, T, NH, H // NH).transpose(1, 2)
    s = sp(q(x)) @ sp(k(x)).transpose(-1, -2) / (H // NH) ** 0.5
    if mask is not None:
        s = s + mask
    return (s.softmax(-1) @ sp(v(x))).transpose(1, 2).reshape(B, T, H)


class ViT(nn.Module):
    def __init__(s, c):
        super().__init__()
        H, I, eps, P = c["hidden_size"], c["intermediate_size"], c.get("layer_norm_eps", 1e-12), c["patch_size"]
        N = (c["image_size"] // P) ** 2
        s.H, s.NH = H, c["num_attention_heads"]
        layer = lambda: node(
            attention=node(attention=node(query=nn.Linear(H, H), key=nn.Linear(H, H), value=nn.Linear(H, H)), output=node(dense=nn.Linear(H, H))),
            intermediate=node(dense=nn.Linear(H, I)), output=node(dense=nn.Linear(I, H)),
            layernorm_before=nn.LayerNorm(H, eps=eps), layernorm_after=nn.LayerNorm(H, eps=eps))
        emb = node(patch_embeddings=node(projection=nn.Conv2d(c["num_channels"], H, P, P)))
        emb.cls_token = nn.Parameter(torch.zeros(1, 1, H))
        emb.position_embeddings = nn.Parameter(torch.zeros(1, N + 1, H))
        s.vit = node(embeddings=emb, encoder=node(layer=nn.ModuleList(layer() for _ in range(c["num_hidden_layers"]))), layernorm=nn.LayerNorm(H, eps=eps))
        s.classifier = nn.Linear(H, num_labels(c))

    def forward(s, pixel_values):
        e = s.vit.embeddings
        x = e.patch_embeddings.projection(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([e.cls_token.expand(x.shape[0], -1, -1), x], 1) + e.position_embeddings
        for l in s.vit.encoder.layer:
            a = l.attention
            h = l.layernorm_before(x)
            x = x + a.output.dense(attention(s.H, s.NH, h, a.attention.query, a.attention.key, a.attention.value, None))
            x = x + l.output.dense(F.gelu(l.intermediate.dense(l.layernorm_after(x))))
        return s.classifier(s.vit.layernorm(x)[:, 0])


class Roberta(nn.Module):
    def __init__(s, c):
        super().__init__()
        H, I, eps = c["hidden_size"], c["intermediate_size"], c.get("layer_norm_eps", 1e-5)
        s.H, s.NH, s.pad = H, c["num_attention_heads"], c["pad_token_id"]
        layer = lambda: node(
            attention=node(self=node(query=nn.Linear(H, H), key=nn.Linear(H, H), value=nn.Linear(H, H)), output=node(dense=nn.Linear(H, H), LayerNorm=nn.LayerNorm(H, eps=eps))),
            intermediate=node(dense=nn.Linear(H, I)), output=node(dense=nn.Linear(I, H), LayerNorm=nn.LayerNorm(H, eps=eps)))
        emb = node(word_embeddings=nn.Embedding(c["vocab_size"], H), position_embeddings=nn.Embedding(c["max_position_embeddings"], H),
                   token_type_embeddings=nn.Embedding(c.get("type_vocab_size", 1), H), LayerNorm=nn.LayerNorm(H, eps=eps))
        s.roberta = node(embeddings=emb, encoder=node(layer=nn.ModuleList(layer() for _ in range(c["num_hidden_layers"]))))
        s.classifier = node(dense=nn.Linear(H, H), out_proj=nn.Linear(H, num_labels(c)))

    def forward(s, input_ids, attention_mask):
        e = s.roberta.embeddings
        m = input_ids.ne(s.pad).long()
        pos = torch.cumsum(m, 1) * m + s.pad
        x = e.LayerNorm(e.word_embeddings(input_ids) + e.position_embeddings(pos) + e.token_type_embeddings(torch.zeros_like(input_ids)))
        mask = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for l in s.roberta.encoder.layer:
            a = l.attention
            x = a.output.LayerNorm(x + a.output.dense(attention(s.H, s.NH, x, a.self.query, a.self.key, a.self.value, mask)))
            x = l.output.LayerNorm(x + l.output.dense(F.gelu(l.intermediate.dense(x))))
        return s.classifier.out_proj(torch.tanh(s.classifier.dense(x[:, 0])))


def load(d):
    c = json.load(open(os.path.join(d, "config.json")))
    model = ViT(c) if c["model_type"] == "vit" else Roberta(c)
    sd = {k: v.float() for k, v in read_safetensors(os.path.join(d, "model.safetensors")).items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    unexpected = [k for k in unexpected if "pooler" not in k]  # the bare models' pooler is not used by these heads
    if missing or unexpected:
        raise ValueError(f"{d}: missing {missing[:3]} unexpected {unexpected[:3]}")
    return c, model.eval()


def quantize_matmuls(src, dst):
    """Dynamic int8 quantization as ONNX Runtime's quantize_dynamic writes it for transformers.js's q8 files:
    every MatMul whose B is a 2-D initializer becomes DynamicQuantizeLinear(A) -> MatMulInteger(A_u8, B_s8)
    -> Cast -> Mul(scale_a * scale_b); weights symmetric per tensor."""
    import numpy as np, onnx
    from onnx import helper, numpy_helper, TensorProto
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    nodes = []
    for n in g.node:
        b = inits.get(n.input[1]) if n.op_type == "MatMul" and len(n.input) == 2 else None
        if b is None or len(b.dims) != 2:
            nodes.append(n)
            continue
        w = numpy_helper.to_array(b).astype(np.float32)
        scale = max(float(np.abs(w).max()), 1e-8) / 127.0
        q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        p = n.name or n.output[0]
        g.initializer.extend([numpy_helper.from_array(q, p + "_Wq"), numpy_helper.from_array(np.array(scale, np.float32), p + "_Ws"),
                              numpy_helper.from_array(np.array(0, np.int8), p + "_Wz")])
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [n.input[0]], [p + "_Aq", p + "_As", p + "_Az"]),
            helper.make_node("MatMulInteger", [p + "_Aq", p + "_Wq", p + "_Az", p + "_Wz"], [p + "_Y32"]),
            helper.make_node("Cast", [p + "_Y32"], [p + "_Yf"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [p + "_As", p + "_Ws"], [p + "_S"]),
            helper.make_node("Mul", [p + "_Yf", p + "_S"], [n.output[0]]),
        ]
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def export(d):
    c, model = load(d)
    os.makedirs(os.path.join(d, "onnx"), exist_ok=True)
    out = os.path.join(d, "onnx", "model.onnx")
    if c["model_type"] == "vit":
        args, names, axes = (torch.randn(1, 3, c["image_size"], c["image_size"]),), ["pixel_values"], {"pixel_values": {0: "batch"}}
    else:
        ids = torch.randint(3, 100, (1, 16))
        args, names = (ids, torch.ones_like(ids)), ["input_ids", "attention_mask"]
        axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
    axes["logits"] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(model, args, out, input_names=names, output_names=["logits"], dynamic_axes=axes, opset_version=14, do_constant_folding=True)
    quantize_matmuls(out, os.path.join(d, "onnx", "model_quantized.onnx"))
    return {"files": sorted(os.listdir(os.path.join(d, "onnx")))}


models = {}


def forward(key, precision, batch, seq):
    c, model = models[key]
    if c["model_type"] == "vit":
        args = (torch.randn(batch, 3, c["image_size"], c["image_size"]),)
    else:
        ids = torch.tensor([[3 + ((b * 131 + j * 17) % 900) for j in range(seq)] for b in range(batch)])
        args = (ids, torch.ones_like(ids))
    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()
    with torch.no_grad(), ctx:
        t0 = time.perf_counter()
        model(*args).float().tolist()
        return (time.perf_counter() - t0) * 1000


for line in sys.stdin:
    a = json.loads(line)
    try:
        if a["op"] == "export":
            out = export(a["dir"])
        elif a["op"] == "setup":
            models[a["key"]] = load(a["dir"])
            out = {"threads": torch.get_num_threads(), "torch": torch.__version__}
        elif a["op"] == "forward":
            out = {"ms": forward(a["key"], a["precision"], a["batch"], a.get("seq", 128))}
        else:
            out = {"error": f"unknown op {a['op']}"}
    except Exception as e:  # noqa: BLE001 - reported to the bench
        out = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
    print(json.dumps(out), flush=True)
