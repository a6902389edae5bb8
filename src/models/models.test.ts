// Models without fixtures: configs, tiny random models, save/load round trips, Auto classes,
// freezing, losses, bad input. Runs everywhere.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor, tidy, randn, randint, ones, manualSeed, disposeAll, saveSafetensors, loadSafetensors, memoryStats, type Tensor } from '../torch/index';
import {
  AutoConfig, BertConfig, RobertaConfig, DistilBertConfig, ViTConfig, ConfigError,
  AutoModel, AutoModelForSequenceClassification, AutoModelForMaskedLM, AutoModelForImageClassification,
  BertModel, BertForSequenceClassification, BertForMaskedLM, RobertaForMaskedLM, RobertaForSequenceClassification,
  DistilBertForMaskedLM, DistilBertForSequenceClassification, ViTForImageClassification, ViTModel,
  modelSummary, createPositionIdsFromInputIds, type PreTrainedModel, type ModelOutput,
} from './index';
import { TRANSFORMERS_VERSION } from './config';

process.env.HUBTUNE_QUIET = '1';
let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'hubtune-models-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

const tinyBert = { model_type: 'bert', vocab_size: 50, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 32 };
const tinyRoberta = { ...tinyBert, model_type: 'roberta', type_vocab_size: 1, max_position_embeddings: 34, layer_norm_eps: 1e-5 };
const tinyDistil = { model_type: 'distilbert', vocab_size: 50, dim: 16, n_layers: 2, n_heads: 4, hidden_dim: 24, max_position_embeddings: 32 };
const tinyVit = { model_type: 'vit', hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, image_size: 32, patch_size: 8 };

function textBatch(b = 2, l = 7, vocab = 50): { input_ids: Tensor; attention_mask: Tensor } {
  const ids = randint(3, vocab, [b, l]);
  const mask = ones([b, l], { dtype: 'int64' });
  tidy(() => { mask.at(1, '5:').fill_(0); });
  return { input_ids: ids, attention_mask: mask };
}
const logitsOf = (m: PreTrainedModel, b: Record<string, unknown>) => (m.forward(b) as ModelOutput).logits;

describe('configs', () => {
  test('defaults, labels with string keys, unknown fields kept and written back', () => {
    const c = BertConfig.fromDict({ hidden_size: 32, num_attention_heads: 4, id2label: { 0: 'neg', 1: 'neu', 2: 'pos' }, my_field: [1, 2], problem_type: 'single_label_classification' });
    assert.equal(c.vocabSize, 30522);
    assert.equal(c.hiddenAct, 'gelu');
    assert.equal(c.layerNormEps, 1e-12);
    assert.equal(c.padTokenId, 0);
    assert.equal(c.numLabels, 3);
    assert.deepEqual(c.id2label, { 0: 'neg', 1: 'neu', 2: 'pos' });
    assert.deepEqual(c.label2id, { neg: 0, neu: 1, pos: 2 });
    assert.equal(c.problemType, 'single_label_classification');
    const d = c.toDict();
    assert.deepEqual(d.my_field, [1, 2]);
    assert.equal(d.model_type, 'bert');
    assert.equal(d.hidden_size, 32);
    assert.deepEqual(d.id2label, { 0: 'neg', 1: 'neu', 2: 'pos' });
    assert.equal(d.problem_type, 'single_label_classification');
    assert.ok(!('output_hidden_states' in d), 'common fields at their defaults are not written');
    assert.deepEqual(Object.keys(d), [...Object.keys(d)].sort());
    const back = BertConfig.fromDict(JSON.parse(JSON.stringify(d)));
    assert.deepEqual(back.toDict(), d);
    assert.equal(RobertaConfig.fromDict({}).padTokenId, 1);
    assert.equal(new DistilBertConfig({ hidden_size: 64 }).dim, 64);
    assert.equal(ViTConfig.fromDict({}).numLabels, 2);
  });

  test('numLabels resets labels; contradictions and bad fields are errors naming the field', () => {
    const c = BertConfig.fromDict({});
    c.update({ numLabels: 4 });
    assert.deepEqual(c.id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2', 3: 'LABEL_3' });
    assert.throws(() => BertConfig.fromDict({ hidden_size: 30, num_attention_heads: 4 }), /hidden_size \(30\) is not a multiple of num_attention_heads \(4\)/);
    assert.throws(() => BertConfig.fromDict({ num_labels: 3, id2label: { 0: 'a', 1: 'b' } }), /num_labels is 3 but id2label has 2/);
    assert.throws(() => BertConfig.fromDict({ hidden_act: 'swishy' }), /hidden_act.*swishy/);
    assert.throws(() => BertConfig.fromDict({ problem_type: 'ranking' }), /problem_type 'ranking'/);
    assert.throws(() => BertConfig.fromDict({ vocab_size: 'big' }), /vocab_size/);
    assert.throws(() => AutoConfig.fromDict({ model_type: 'mamba' }), /model_type 'mamba'.*supports vit, bert, roberta, distilbert/);
    assert.throws(() => AutoConfig.fromDict({}), /no "model_type"/);
  });

  test('AutoConfig.fromPretrained reads a folder; save and reload keep every field', async () => {
    const d = join(dir, 'cfg');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'config.json'), JSON.stringify({ ...tinyDistil, custom_thing: { a: 1 }, id2label: { 0: 'x', 1: 'y', 2: 'z' } }));
    const c = await AutoConfig.fromPretrained(d, { problemType: 'multi_label_classification' });
    assert.ok(c instanceof DistilBertConfig);
    assert.equal(c.numLabels, 3);
    assert.equal(c.problemType, 'multi_label_classification');
    assert.deepEqual(c.extraFields.custom_thing, { a: 1 });
    await assert.rejects(AutoConfig.fromPretrained(join(dir, 'nope', 'x')), /does not exist/);
  });
});

describe('tiny random models', () => {
  test('every class: forward shapes, snake_case batches, hidden states and attentions', () => {
    manualSeed(0);
    const text = textBatch();
    const cases: [PreTrainedModel, number[]][] = [
      [BertForSequenceClassification.fromConfig({ ...tinyBert, num_labels: 3 }), [2, 3]],
      [RobertaForSequenceClassification.fromConfig(tinyRoberta), [2, 2]],
      [DistilBertForSequenceClassification.fromConfig(tinyDistil), [2, 2]],
      [BertForMaskedLM.fromConfig(tinyBert), [2, 7, 50]],
      [RobertaForMaskedLM.fromConfig(tinyRoberta), [2, 7, 50]],
      [DistilBertForMaskedLM.fromConfig(tinyDistil), [2, 7, 50]],
    ];
    for (const [m, shape] of cases) {
      m.eval();
      const out = m.forward({ ...text, output_hidden_states: true, outputAttentions: true }) as ModelOutput;
      assert.deepEqual(out.logits.shape, shape, m.constructor.name);
      assert.equal(out.hiddenStates!.length, 3);
      assert.deepEqual(out.attentions![0]!.shape, [2, 4, 7, 7]);
      // padded keys get no attention
      assert.ok(tidy(() => out.attentions![0]!.at(1, ':', ':', '5:').abs().max().item()) === 0);
      assert.equal(m.mainInputName, 'input_ids');
      assert.ok(m.forwardArgNames.includes('attention_mask'));
      disposeAll(out);
      m.dispose();
    }
    const vit = ViTForImageClassification.fromConfig({ ...tinyVit, num_labels: 3 }).eval();
    const pix = randn([2, 3, 32, 32]);
    const out = vit.forward({ pixel_values: pix, labels: tensor([0, 2], { dtype: 'int64' }) });
    assert.deepEqual(out.logits.shape, [2, 3]);
    assert.ok(out.loss!.item() > 0);
    assert.equal(vit.mainInputName, 'pixel_values');
    assert.deepEqual([...vit.forwardArgNames], ['pixel_values', 'output_attentions', 'output_hidden_states', 'labels']);
    assert.throws(() => vit.forward({ pixelValues: randn([1, 3, 16, 16]) }), /input image size \(16\*16\) doesn't match the model \(32\*32\)/);
    assert.throws(() => vit.forward({ pixelValues: pix, input_ids: text.input_ids }), /unexpected input 'input_ids'/);
    disposeAll([out, pix, text]);
    vit.dispose();
  });

  test('forward and backward leave no tensors behind', () => {
    for (const m of [RobertaForSequenceClassification.fromConfig(tinyRoberta), ViTForImageClassification.fromConfig(tinyVit), DistilBertForMaskedLM.fromConfig(tinyDistil)]) {
      const b: Record<string, Tensor> = m instanceof ViTForImageClassification
        ? { pixel_values: randn([2, 3, 32, 32]), labels: tensor([0, 1], { dtype: 'int64' }) }
        : { ...textBatch(), labels: m instanceof DistilBertForMaskedLM ? randint(0, 50, [2, 7]) : tensor([0, 1], { dtype: 'int64' }) };
      m.train();
      const before = memoryStats().liveTensors;
      for (const opts of [{}, { outputHiddenStates: true, outputAttentions: true }]) {
        const out = m.forward({ ...b, ...opts }) as ModelOutput;
        out.loss!.backward();
        disposeAll(out);
        m.zeroGrad();
      }
      assert.equal(memoryStats().liveTensors, before, m.constructor.name);
      disposeAll(b);
      m.dispose();
    }
  });

  test('RoBERTa positions skip padding; dropout only in train mode', () => {
    const ids = tensor([[0, 5, 6, 2, 1, 1]], { dtype: 'int64' });
    assert.deepEqual(createPositionIdsFromInputIds(ids, 1).toArray(), [[2, 3, 4, 5, 1, 1]]);
    manualSeed(1);
    const m = BertForSequenceClassification.fromConfig({ ...tinyBert, hidden_dropout_prob: 0.5 });
    const b = textBatch();
    m.train();
    const [a1, a2] = [logitsOf(m, b), logitsOf(m, b)];
    assert.ok(!a1.allclose(a2), 'train mode: dropout makes two forwards differ');
    m.eval();
    const [e1, e2] = [logitsOf(m, b), logitsOf(m, b)];
    assert.ok(e1.equal(e2), 'eval mode: deterministic');
    disposeAll([a1, a2, e1, e2, b, ids]);
    m.dispose();
  });

  test('losses: single-label, multi-label and regression as transformers infers them', () => {
    manualSeed(2);
    const b = textBatch();
    const single = BertForSequenceClassification.fromConfig({ ...tinyBert, num_labels: 3 }).eval();
    const o1 = single.forward({ ...b, labels: tensor([0, 2], { dtype: 'int64' }) });
    assert.equal(single.config.problemType, 'single_label_classification');
    const expected1 = tidy(() => o1.logits.logSoftmax(-1).gather(1, tensor([[0], [2]], { dtype: 'int64' })).mean().neg().item());
    assert.ok(Math.abs(o1.loss!.item() - expected1) < 1e-6);
    const multi = BertForSequenceClassification.fromConfig({ ...tinyBert, num_labels: 3 }).eval();
    const o2 = multi.forward({ ...b, labels: tensor([[1, 0, 1], [0, 0, 1]], { dtype: 'float32' }) });
    assert.equal(multi.config.problemType, 'multi_label_classification');
    const reg = BertForSequenceClassification.fromConfig({ ...tinyBert, num_labels: 1 }).eval();
    const o3 = reg.forward({ ...b, labels: tensor([0.5, -1.5]) });
    assert.equal(reg.config.problemType, 'regression');
    const expected3 = tidy(() => o3.logits.squeeze().sub(tensor([0.5, -1.5])).square().mean().item());
    assert.ok(Math.abs(o3.loss!.item() - expected3) < 1e-6);
    disposeAll([o1, o2, o3, b]);
    [single, multi, reg].forEach((m) => m.dispose());
  });

  test('freezing the backbone and the summary counts', () => {
    const m = DistilBertForSequenceClassification.fromConfig(tinyDistil);
    const total = m.numParameters();
    m.freezeBackbone();
    const head = 16 * 16 + 16 + 16 * 2 + 2;
    const s = modelSummary(m, { print: false });
    assert.deepEqual([s.total, s.trainable, s.nonTrainable], [total, head, total - head]);
    assert.match(s.text, /Trainable params: 306/);
    m.unfreezeBackbone();
    assert.equal(m.numParameters({ onlyTrainable: true }), total);
    m.freeze({ except: ['classifier'] });
    assert.equal(m.numParameters({ onlyTrainable: true }), 16 * 2 + 2);
    m.dispose();
  });
});

describe('save and load', () => {
  test('round trip: same logits, Python-style files, tied decoder stored once', async () => {
    manualSeed(3);
    const m = RobertaForMaskedLM.fromConfig(tinyRoberta).eval();
    const out = join(dir, 'mlm');
    m.savePretrained(out);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(cfg.architectures, ['RobertaForMaskedLM']);
    assert.equal(cfg.model_type, 'roberta');
    assert.equal(cfg.torch_dtype, 'float32');
    assert.equal(cfg.transformers_version, '4.29.2');
    const { tensors, metadata } = loadSafetensors(join(out, 'model.safetensors'));
    assert.deepEqual(metadata, { format: 'pt' });
    assert.ok(!tensors.has('lm_head.decoder.weight') && !tensors.has('lm_head.decoder.bias'));
    assert.ok(tensors.has('lm_head.bias') && tensors.has('roberta.embeddings.word_embeddings.weight'));
    assert.ok(![...tensors.keys()].some((k) => k.includes('position_ids')));
    assert.ok(!readdirSync(out).some((f) => f.endsWith('.tmp')));
    const b = textBatch();
    const back = await AutoModelForMaskedLM.fromPretrained(out, { outputLoadingInfo: true });
    assert.deepEqual(back.loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
    assert.ok(back.model instanceof RobertaForMaskedLM);
    const [l1, l2] = [logitsOf(m, b), logitsOf(back.model, b)];
    assert.ok(l1.equal(l2));
    // the older tied form (decoder keys stored explicitly) loads too, with nothing unexpected
    tensors.set('lm_head.decoder.weight', tensors.get('roberta.embeddings.word_embeddings.weight')!);
    tensors.set('lm_head.decoder.bias', tensors.get('lm_head.bias')!);
    saveSafetensors(join(out, 'model.safetensors'), tensors);
    const old = await RobertaForMaskedLM.fromPretrained(out, { outputLoadingInfo: true });
    assert.deepEqual(old.loadingInfo.unexpectedKeys, []);
    const l3 = logitsOf(old.model, b);
    assert.ok(l1.equal(l3));
    // a sequence classifier from the MLM checkpoint: new head, LM head unused
    const cls = await AutoModelForSequenceClassification.fromPretrained(out, { numLabels: 5, outputLoadingInfo: true });
    assert.deepEqual(cls.loadingInfo.missingKeys, ['classifier.dense.bias', 'classifier.dense.weight', 'classifier.out_proj.bias', 'classifier.out_proj.weight']);
    assert.deepEqual(cls.loadingInfo.unexpectedKeys, ['lm_head.bias', 'lm_head.dense.bias', 'lm_head.dense.weight', 'lm_head.layer_norm.bias', 'lm_head.layer_norm.weight']);
    assert.equal(cls.model.config.numLabels, 5);
    disposeAll([l1, l2, l3, b, [...tensors.values()]]);
    [m, back.model, old.model, cls.model].forEach((x) => x.dispose());
  });

  test('sharded save above maxShardSize, loaded back through the index', async () => {
    manualSeed(4);
    const m = BertForMaskedLM.fromConfig(tinyBert);
    const out = join(dir, 'sharded');
    const { files } = m.savePretrained(out, { maxShardSize: '10KB' });
    assert.ok(files.includes('model.safetensors.index.json'));
    assert.ok(!existsSync(join(out, 'model.safetensors')));
    const index = JSON.parse(readFileSync(join(out, 'model.safetensors.index.json'), 'utf8'));
    assert.ok(!('cls.predictions.decoder.weight' in index.weight_map));
    const back = await BertForMaskedLM.fromPretrained(out);
    for (const [k, p] of m.stateDict()) assert.ok(p.equal(back.stateDict().get(k)!), k);
    assert.equal(back.cls.predictions.decoder.weight, back.bert.embeddings.wordEmbeddings.weight, 'decoder stays tied after loading');
    m.dispose(); back.dispose();
  });

  test('backbone <-> head prefixes both ways, shape mismatches, missing files', async () => {
    manualSeed(5);
    const head = BertForSequenceClassification.fromConfig({ ...tinyBert, num_labels: 3 });
    const out = join(dir, 'head');
    head.savePretrained(out);
    const base = await AutoModel.fromPretrained(out, { outputLoadingInfo: true });
    assert.ok(base.model instanceof BertModel);
    assert.deepEqual(base.loadingInfo.unexpectedKeys, ['classifier.bias', 'classifier.weight']);
    assert.deepEqual(base.loadingInfo.missingKeys, []);
    const baseOut = join(dir, 'base');
    base.model.savePretrained(baseOut);
    assert.ok(!loadSafetensors(join(baseOut, 'model.safetensors')).tensors.has('bert.pooler.dense.weight'));
    const again = await BertForSequenceClassification.fromPretrained(baseOut, { numLabels: 3, outputLoadingInfo: true });
    assert.deepEqual(again.loadingInfo.missingKeys, ['classifier.bias', 'classifier.weight']);
    assert.ok(again.model.bert.pooler!.dense.weight.equal(head.bert.pooler!.dense.weight));
    await assert.rejects(BertForSequenceClassification.fromPretrained(out, { numLabels: 5 }),
      /size mismatch for classifier\.weight: the checkpoint has shape \[3, 16\] but BertForSequenceClassification expects \[5, 16\]/);
    const warnings: string[] = [];
    const orig = console.warn;
    console.warn = (s: string) => warnings.push(s);
    try {
      const mm = await BertForSequenceClassification.fromPretrained(out, { numLabels: 5, ignoreMismatchedSizes: true, quiet: false });
      assert.deepEqual(mm.loadingInfo!.mismatchedKeys.map((x) => x.key), ['classifier.weight', 'classifier.bias']);
      assert.match(warnings.join('\n'), /- classifier\.weight: found shape torch\.Size\(\[3, 16\]\) in the checkpoint and torch\.Size\(\[5, 16\]\) in the model instantiated/);
      mm.dispose();
    } finally { console.warn = orig; }
    await assert.rejects(AutoModelForImageClassification.fromPretrained(out), /AutoModelForImageClassification does not support model_type 'bert'.*supports vit/);
    await assert.rejects(ViTModel.fromPretrained(out), /is a 'bert' model but ViTModel is for 'vit'/);
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'config.json'), JSON.stringify(tinyBert));
    await assert.rejects(BertModel.fromPretrained(empty), /no weights in the folder .*looked for model\.safetensors, model\.safetensors\.index\.json, pytorch_model\.bin and pytorch_model\.bin\.index\.json/);
    writeFileSync(join(empty, 'pytorch_model.bin'), 'x');
    await assert.rejects(BertModel.fromPretrained(empty), /pytorch_model\.bin is not a PyTorch checkpoint/);
    rmSync(join(empty, 'pytorch_model.bin'));
    writeFileSync(join(empty, 'tf_model.h5'), 'x');
    await assert.rejects(BertModel.fromPretrained(empty), /has only tf_model\.h5 \(TensorFlow\/Flax weights\), which hubtune does not load/);
    assert.throws(() => head.savePretrained(join(dir, 'bin'), { safeSerialization: false }), /safetensors only/);
    [head, base.model, again.model].forEach((x) => x.dispose());
  });

  test('NaN weights warn on load', async () => {
    const m = DistilBertForSequenceClassification.fromConfig(tinyDistil);
    tidy(() => { m.classifier.weight.requiresGrad_(false); m.classifier.weight.at(0, 0).fill_(NaN); });
    const out = join(dir, 'nan');
    m.savePretrained(out);
    const warnings: string[] = [];
    const orig = console.warn;
    console.warn = (s: string) => warnings.push(s);
    try {
      const back = await DistilBertForSequenceClassification.fromPretrained(out);
      back.dispose();
    } finally { console.warn = orig; }
    assert.match(warnings.join('\n'), /NaN values in 1 tensor\(s\): classifier\.weight/);
    m.dispose();
  });
});

describe("config.json's _name_or_path and transformers_version as transformers writes them", () => {
  test('models and AutoConfig take the id or path given; XConfig.fromPretrained keeps the file; saves write TRANSFORMERS_VERSION', async () => {
    const src = join(dir, 'named');
    ViTForImageClassification.fromConfig(tinyVit).savePretrained(src);
    const file = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
    assert.equal(file._name_or_path, undefined, 'a model built from a config has no _name_or_path');
    // a checkpoint saved on another machine by another transformers version
    writeFileSync(join(src, 'config.json'), JSON.stringify({ ...file, _name_or_path: '/tmp/build-machine/A', transformers_version: '4.41.0' }));
    assert.equal((await ViTConfig.fromPretrained(src)).nameOrPath, '/tmp/build-machine/A');
    assert.equal((await AutoConfig.fromPretrained(src)).nameOrPath, src);
    const m = await ViTForImageClassification.fromPretrained(src);
    assert.equal(m.config.nameOrPath, src);
    const withConfig = await ViTForImageClassification.fromPretrained(src, { config: await ViTConfig.fromPretrained(src) });
    assert.equal(withConfig.config.nameOrPath, src);
    const out = join(dir, 'named-out');
    m.savePretrained(out);
    const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(saved._name_or_path, src);
    assert.equal(saved.transformers_version, TRANSFORMERS_VERSION);
    const cfg = await ViTConfig.fromPretrained(src);
    assert.equal(cfg.transformersVersion, '4.41.0');
    assert.equal(cfg.toDict().transformers_version, TRANSFORMERS_VERSION);
    m.dispose(); withConfig.dispose();
  });

  test("the demo's pretrained assets carry no build-machine _name_or_path", () => {
    for (const name of ['vit-tiny-shapes', 'roberta-tiny-mlm']) {
      const cfg = JSON.parse(readFileSync(new URL(`../../assets/${name}/config.json`, import.meta.url), 'utf8'));
      assert.equal(cfg._name_or_path, undefined, name);
      assert.equal(cfg.transformers_version, TRANSFORMERS_VERSION, name);
    }
  });
});
