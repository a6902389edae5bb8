// Quick probe: ViT-base forward ms (b1, b8) under thread/GEMM settings given on the command line.
import { performance } from 'node:perf_hooks';
const { manualSeed, randn, noGrad, tidy, setNumThreads } = await import('../../src/torch/index');
const { native: N } = await import('../../src/torch/native');
const { ViTForImageClassification } = await import('../../src/models/index');
const VIT = { model_type: 'vit', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, image_size: 224, patch_size: 16, num_channels: 3, num_labels: 10 };
manualSeed(0);
const model = ViTForImageClassification.fromConfig(VIT); model.eval();
for (const spec of process.argv.slice(2)) {
  const [gemm, intra, blas] = spec.split(':');
  (N as any).setFloat32Gemm(gemm); setNumThreads({ intraOp: Number(intra), blas: Number(blas) });
  for (const b of [1, 8]) {
    const x = randn([b, 3, 224, 224]);
    const ts: number[] = [];
    for (let i = 0; i < (b === 1 ? 9 : 4); i++) { const t = performance.now(); noGrad(() => tidy(() => model.forward({ pixelValues: x }))); ts.push(performance.now() - t); }
    ts.sort((a, c) => a - c);
    console.log(JSON.stringify({ spec, batch: b, ms: Math.round(ts[ts.length >> 1]!) }));
  }
}
