// Model training and inference speed at real size, randomly initialised (no weights needed):
// ViT-base/16 at 224x224 with 3 labels, and DistilRoBERTa-base at sequence length 128 with 2 labels,
// batch 8, train mode. A training step is forward + backward + clipGradNorm(1.0) + AdamW (the
// Trainer's decay/no-decay groups). Where /usr/bin/python3 has torch, the same architectures written
// with plain torch.nn are timed side by side in this run. Prints JSON.
//   npm run bench:models [-- --quick]      (--quick: 1 warm-up + 2 timed steps; default 1 + 3)
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { randn, randint, ones, optim, noGrad, tidy, disposeAll, manualSeed, memoryStats, resetPeakMemory, getNumThreads, versions, type Tensor } from '../src/torch/index';
import { AutoConfig, AutoModelForImageClassification, AutoModelForSequenceClassification, decayParameterGroups, type PreTrainedModel, type ModelOutput } from '../src/models/index';
import { sharedPath } from '../test/support/shared';

const QUICK = process.argv.includes('--quick');
const WARMUP = 1;
const TIMED = QUICK ? 2 : 3;
const BATCH = 8;
const SEQ = 128;

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2; };
const round = (x: number, d = 3) => Number(x.toFixed(d));

function readConfig(file: string, fallback: Record<string, unknown>): Record<string, unknown> {
  try { return JSON.parse(readFileSync(sharedPath('fixtures', 'real-configs', file), 'utf8')); } catch { return fallback; }
}
const VIT = readConfig('vit-base-patch16-224-in21k.config.json', {
  model_type: 'vit', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0,
  image_size: 224, patch_size: 16, num_channels: 3, layer_norm_eps: 1e-12, initializer_range: 0.02, qkv_bias: true,
});
const DISTILROBERTA = readConfig('distilroberta-base.config.json', {
  model_type: 'roberta', vocab_size: 50265, hidden_size: 768, num_hidden_layers: 6, num_attention_heads: 12, intermediate_size: 3072, max_position_embeddings: 514,
  pad_token_id: 1, type_vocab_size: 1, layer_norm_eps: 1e-5, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, initializer_range: 0.02,
});

interface Result { trainStepS: number[]; trainSamplesPerS: number; inferenceS: number[]; inferenceLatencyS: number; peakRssMB: number; peakTensorMB: number; params: number }

function benchModel(model: PreTrainedModel, batch: Record<string, Tensor>): Result {
  let peakRss = process.memoryUsage.rss();
  const sample = () => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); };
  resetPeakMemory();
  const { groups } = decayParameterGroups(model, 0.01);
  const opt = new optim.AdamW(groups, { lr: 5e-5 });
  const params = model.parameters();
  model.train();
  const trainStepS: number[] = [];
  for (let i = 0; i < WARMUP + TIMED; i++) {
    const t0 = performance.now();
    tidy(() => {
      const out = model.forward(batch) as ModelOutput;
      out.loss!.backward();
    });
    optim.clipGradNorm(params, 1.0);
    opt.step();
    opt.zeroGrad();
    const dt = (performance.now() - t0) / 1000;
    sample();
    if (i >= WARMUP) trainStepS.push(dt);
  }
  model.eval();
  const inferenceS: number[] = [];
  const { labels, ...inputs } = batch;
  for (let i = 0; i < WARMUP + TIMED; i++) {
    const t0 = performance.now();
    noGrad(() => tidy(() => { (model.forward(inputs) as ModelOutput).logits.sum().item(); }));
    const dt = (performance.now() - t0) / 1000;
    sample();
    if (i >= WARMUP) inferenceS.push(dt);
  }
  const stepMedian = median(trainStepS);
  const out: Result = {
    trainStepS: trainStepS.map((x) => round(x)), trainSamplesPerS: round(BATCH / stepMedian), inferenceS: inferenceS.map((x) => round(x)),
    inferenceLatencyS: round(median(inferenceS)), peakRssMB: Math.round(peakRss / 2 ** 20), peakTensorMB: Math.round(memoryStats().peakAllocatedBytes / 2 ** 20),
    params: model.numParameters(),
  };
  for (const s of opt.state.values()) for (const v of Object.values(s)) if (typeof v !== 'number') v.dispose();
  return out;
}

// ---- the same architectures in plain PyTorch (torch.nn), timed the same way ---------------------
const PY = String.raw`
import json, sys, time, resource
import torch, torch.nn as nn, torch.nn.functional as F
a = json.loads(sys.stdin.read()); c = a["config"]; torch.manual_seed(0)
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
B, n = a["batch"], a["num_labels"]
if a["kind"] == "vit":
    model = ViT(n); inputs = (torch.randn(B, 3, c["image_size"], c["image_size"]),)
else:
    model = Roberta(n); inputs = (torch.randint(3, c["vocab_size"], (B, a["seq"])), torch.ones(B, a["seq"], dtype=torch.long))
labels = torch.randint(0, n, (B,))
nd = [p for nm, p in model.named_parameters() if "bias" in nm or "ln" in nm]; ids_nd = {id(p) for p in nd}
opt = torch.optim.AdamW([{"params": [p for p in model.parameters() if id(p) not in ids_nd], "weight_decay": 0.01}, {"params": nd, "weight_decay": 0.0}], lr=5e-5)
model.train(); tr = []
for i in range(a["warmup"] + a["timed"]):
    t0 = time.perf_counter(); loss = F.cross_entropy(model(*inputs), labels); loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); opt.zero_grad(set_to_none=True)
    if i >= a["warmup"]: tr.append(time.perf_counter() - t0)
model.eval(); inf = []
with torch.no_grad():
    for i in range(a["warmup"] + a["timed"]):
        t0 = time.perf_counter(); model(*inputs).sum().item()
        if i >= a["warmup"]: inf.append(time.perf_counter() - t0)
med = lambda xs: sorted(xs)[len(xs) // 2] if len(xs) % 2 else sum(sorted(xs)[len(xs) // 2 - 1:len(xs) // 2 + 1]) / 2
print(json.dumps({"trainStepS": [round(x, 3) for x in tr], "trainSamplesPerS": round(B / med(tr), 3), "inferenceS": [round(x, 3) for x in inf],
    "inferenceLatencyS": round(med(inf), 3), "peakRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    "params": sum(p.numel() for p in model.parameters()), "torch": torch.__version__, "threads": torch.get_num_threads()}))
`;

function pythonAvailable(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  return r.status === 0;
}
function benchPython(kind: 'vit' | 'roberta', config: Record<string, unknown>, numLabels: number): unknown {
  const input = JSON.stringify({ kind, config, batch: BATCH, seq: SEQ, num_labels: numLabels, warmup: WARMUP, timed: TIMED });
  const r = spawnSync('/usr/bin/python3', ['-c', PY], { input, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return { error: (r.stderr || '').trim().split('\n').slice(-1)[0] };
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function main(): void {
  manualSeed(0);
  const results: Record<string, unknown> = {
    bench: 'models', quick: QUICK, batch: BATCH, warmupSteps: WARMUP, timedSteps: TIMED, torch: versions().torch, threads: getNumThreads(),
    reference: { 'transformers 4.29.2 on this machine kind (samples/s)': { vit: 1.40, distilroberta: 4.5 } },
  };
  const python = pythonAvailable();

  // ViT-base/16, 224x224, 3 labels
  {
    const model = AutoModelForImageClassification.fromConfig(AutoConfig.fromDict(VIT).update({ numLabels: 3 }));
    const batch = { pixel_values: randn([BATCH, 3, 224, 224]), labels: randint(0, 3, [BATCH]) };
    results.vit = { model: 'ViTForImageClassification (vit-base-patch16-224-in21k, 3 labels)', hubtune: benchModel(model, batch) };
    disposeAll(batch);
    model.dispose();
    if (python) (results.vit as any).pytorch = benchPython('vit', VIT, 3);
  }
  // DistilRoBERTa-base, sequence length 128, 2 labels
  {
    const model = AutoModelForSequenceClassification.fromConfig(AutoConfig.fromDict(DISTILROBERTA).update({ numLabels: 2 }));
    const batch = { input_ids: randint(3, DISTILROBERTA.vocab_size as number, [BATCH, SEQ]), attention_mask: ones([BATCH, SEQ], { dtype: 'int64' }), labels: randint(0, 2, [BATCH]) };
    results.distilroberta = { model: 'RobertaForSequenceClassification (distilroberta-base, 2 labels, seq 128)', hubtune: benchModel(model, batch) };
    disposeAll(batch);
    model.dispose();
    if (python) (results.distilroberta as any).pytorch = benchPython('roberta', DISTILROBERTA, 2);
  }
  if (!python) results.pytorch = 'skipped: /usr/bin/python3 cannot import torch';
  for (const k of ['vit', 'distilroberta']) {
    const r = results[k] as any;
    if (r.pytorch?.trainSamplesPerS) r.hubtuneVsPytorchTrainSpeed = round(r.hubtune.trainSamplesPerS / r.pytorch.trainSamplesPerS, 2);
  }
  console.log(JSON.stringify(results, null, 2));
}
main();
