// CLIPTokenizer (slow, without ftfy, as the fixtures ran it), CLIPProcessor and AutoProcessor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors, type Tensor } from '../torch/index';
import { sharedPath, hasShared } from '../../test/support/shared';
import { AutoTokenizer } from './auto-tokenizer';
import { AutoProcessor, CLIPProcessor } from './processors';
import { CLIPImageProcessor, DeiTImageProcessor } from './image-processors';
import { PreTrainedTokenizer } from './tokenization-base';

const FIX = sharedPath('fixtures', 'hf-reference-2');
const CLIP_DIR = join(FIX, 'models', 'clip');
const skip = hasShared ? {} : { skip: '../shared is absent: Python reference fixture test skipped' };

test('CLIPTokenizer from vocab.json + merges.txt: the fixture\'s tokens and padded ids; decode like the slow tokenizer', skip, async () => {
  const exp = JSON.parse(readFileSync(join(CLIP_DIR, 'expected.json'), 'utf8'));
  const tok = await AutoTokenizer.fromPretrained(CLIP_DIR);
  assert.equal(tok.tokenizerClass, 'CLIPTokenizer');
  exp.texts.forEach((text: string, i: number) => {
    const want = exp.tokens[i] as string[];
    assert.deepEqual(tok.tokenize(text), want.slice(1, want.indexOf('<|endoftext|>')), text);
  });
  const enc = tok(exp.texts, { padding: true });
  assert.deepEqual(enc.input_ids, exp.inputs.input_ids);
  assert.deepEqual(enc.attention_mask, exp.inputs.attention_mask);
  assert.deepEqual(Object.keys(enc).sort(), ['attention_mask', 'input_ids']);
  assert.equal(tok.decode(enc.input_ids[2]!, { skipSpecialTokens: true }), 'an odd, small picture!');
  assert.equal(tok.decode(enc.input_ids[0]!), '<|startoftext|>a photo of a healthy bean leaf <|endoftext|>');
  // BasicTokenizer first (lower case, accents stripped, punctuation split), then CLIP's pattern
  assert.deepEqual(tok.tokenize('Hé!!'), ['he</w>', '!</w>', '!</w>']);
  // pairs: <|startoftext|> A <|endoftext|> <|endoftext|> B <|endoftext|>, no token type ids
  const pair = tok('a leaf', 'rust');
  assert.equal(pair.input_ids[0], tok.bosTokenId);
  assert.equal(pair.input_ids.filter((id) => id === tok.eosTokenId).length, 3);
  // saved as tokenizer.json and loaded back: the same ids
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-cliptok-'));
  tok.savePretrained(dir);
  const back = await AutoTokenizer.fromPretrained(dir);
  assert.deepEqual(back(exp.texts, { padding: true }).input_ids, exp.inputs.input_ids);
  assert.equal(back.decode(enc.input_ids[1]!, { skipSpecialTokens: true }), 'a photo of a leaf with rust');
});

test('CLIPProcessor: text and images together give the fixture\'s input_ids, attention_mask and pixel_values', skip, async () => {
  const exp = JSON.parse(readFileSync(join(CLIP_DIR, 'expected.json'), 'utf8'));
  const processor = await AutoProcessor.fromPretrained(CLIP_DIR);
  assert.ok(processor instanceof CLIPProcessor);
  assert.ok(processor.imageProcessor instanceof CLIPImageProcessor);
  const images = exp.images.map((im: { file: string }) => join(FIX, 'images', im.file));
  const out = await processor({ text: exp.texts, images, returnTensors: 'pt', padding: true });
  const want = loadSafetensors(join(CLIP_DIR, 'expected.safetensors')).tensors;
  assert.ok((out.input_ids as Tensor).equal(want.get('input.input_ids')!));
  assert.ok((out.attention_mask as Tensor).equal(want.get('input.attention_mask')!));
  assert.ok((out.pixel_values as Tensor).equal(want.get('input.pixel_values')!), 'pixel values bit for bit');
  const textOnly = await processor({ text: 'a leaf' });
  assert.deepEqual(Object.keys(textOnly).sort(), ['attention_mask', 'input_ids']);
  const imagesOnly = await processor({ images: images[0] });
  assert.deepEqual(Object.keys(imagesOnly), ['pixel_values']);
  await assert.rejects(processor({}), /You have to specify either text or images/);
  assert.equal(processor.batchDecode([exp.inputs.input_ids[1]], { skipSpecialTokens: true })[0], 'a photo of a leaf with rust');
  // save: both configs name the processor, and AutoProcessor finds it again
  const dir = mkdtempSync(join(tmpdir(), 'hubtune-clipproc-'));
  await processor.savePretrained(dir);
  assert.equal(JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8')).processor_class, 'CLIPProcessor');
  assert.equal(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')).processor_class, 'CLIPProcessor');
  assert.ok(existsSync(join(dir, 'tokenizer.json')));
  assert.ok((await AutoProcessor.fromPretrained(dir)) instanceof CLIPProcessor);
});

test('AutoProcessor falls back to the image processor, then to the tokenizer', skip, async () => {
  assert.ok((await AutoProcessor.fromPretrained(join(FIX, 'models', 'deit'))) instanceof DeiTImageProcessor);
  assert.ok((await AutoProcessor.fromPretrained(join(FIX, 'models', 'bart'))) instanceof PreTrainedTokenizer);
});
