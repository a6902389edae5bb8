import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchNorm2d, MaxPool2d, AdaptiveAvgPool2d, Flatten, Identity, Conv2d, Sequential, Module, freezeBatchNorm, unfreezeBatchNorm, functional as F } from './index';
import { tensor, randn, manualSeed, arange, tidy, noGrad, type Tensor } from '../index';

const close = (a: Tensor, b: Tensor, tol = 1e-6) => tidy(() => a.sub(b).abs().max().item()) <= tol;

test('BatchNorm2d train mode: batch statistics, running stats updated with momentum, num_batches_tracked counted', () => {
  manualSeed(1);
  const bn = new BatchNorm2d(3);
  noGrad(() => { bn.weight!.copy_(tensor([1, 2, 0.5])); bn.bias!.copy_(tensor([0, -1, 3])); });
  const x = randn([4, 3, 5, 5]).mul(2).add(1);
  const y = bn.forward(x);
  const mean = x.mean([0, 2, 3], true);
  const varBiased = x.var([0, 2, 3], { correction: 0, keepdim: true });
  const want = x.sub(mean).div(varBiased.add(1e-5).sqrt()).mul(bn.weight!.view(1, 3, 1, 1)).add(bn.bias!.view(1, 3, 1, 1));
  assert.ok(close(y, want, 1e-5), 'normalised with the batch statistics');
  const varUnbiased = x.var([0, 2, 3], { correction: 1 });
  assert.ok(close(bn.runningMean!, mean.flatten().mul(0.1)), 'running_mean = 0.9 * 0 + 0.1 * mean');
  assert.ok(close(bn.runningVar!, varUnbiased.mul(0.1).add(0.9)), 'running_var uses the unbiased variance');
  assert.equal(bn.numBatchesTracked!.item(), 1);
  assert.equal(bn.numBatchesTracked!.dtype, 'int64');
  assert.deepEqual(bn.numBatchesTracked!.shape, []);
  bn.forward(x);
  assert.equal(bn.numBatchesTracked!.item(), 2);
});

test('BatchNorm2d eval mode uses the running statistics and leaves them alone', () => {
  const bn = new BatchNorm2d(2, { eps: 1e-3 });
  noGrad(() => { bn.runningMean!.copy_(tensor([0.5, -1])); bn.runningVar!.copy_(tensor([4, 0.25])); });
  bn.eval();
  const x = arange(0, 16, 1, { dtype: 'float32' }).view(2, 2, 2, 2);
  const y = bn.forward(x);
  const want = x.sub(tensor([0.5, -1]).view(1, 2, 1, 1)).div(tensor([4, 0.25]).add(1e-3).sqrt().view(1, 2, 1, 1));
  assert.ok(close(y, want, 1e-5));
  assert.deepEqual(bn.runningMean!.toArray(), [0.5, -1]);
  assert.equal(bn.numBatchesTracked!.item(), 0);
});

test('BatchNorm2d momentum null: cumulative average over batches', () => {
  const bn = new BatchNorm2d(1, { momentum: null });
  bn.forward(tensor([[[[1, 3]]], [[[1, 3]]]], { dtype: 'float32' }));
  bn.forward(tensor([[[[5, 7]]], [[[5, 7]]]], { dtype: 'float32' }));
  // means 2 and 6: factor 1 then 1/2 -> (2 + 6) / 2
  assert.ok(Math.abs(bn.runningMean!.item() - 4) < 1e-6, `running mean ${bn.runningMean!.item()}`);
});

test('BatchNorm2d in train mode with one value per channel fails like PyTorch; batch 1 with spatial size works', () => {
  const bn = new BatchNorm2d(4);
  assert.throws(() => bn.forward(randn([1, 4, 1, 1])), /^Error: Expected more than 1 value per channel when training, got input size torch\.Size\(\[1, 4, 1, 1\]\)/);
  assert.equal(bn.forward(randn([1, 4, 2, 2])).shape.join(), '1,4,2,2');
  bn.eval();
  assert.equal(bn.forward(randn([1, 4, 1, 1])).shape.join(), '1,4,1,1', 'eval mode accepts a single value');
  assert.throws(() => bn.forward(randn([2, 4, 3])), /expected 4D input .*\(got 3D input\)/);
  assert.throws(() => bn.forward(randn([2, 3, 2, 2])), /got 3 channels/);
});

test('BatchNorm2d state dict: weight, bias, running_mean, running_var, num_batches_tracked (PyTorch names)', () => {
  class Net extends Module {
    conv = this.registerModule('conv', new Conv2d(3, 4, 3, { bias: false }));
    bn = this.registerModule('bn', new BatchNorm2d(4));
  }
  assert.deepEqual([...new Net().stateDict().keys()], ['conv.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
  assert.deepEqual(new Net().namedParameters().map(([n]) => n), ['conv.weight', 'bn.weight', 'bn.bias']);
});

test('freezeBatchNorm: running statistics stay fixed in train mode, affine parameters stop training', () => {
  const net = new Sequential(new Conv2d(2, 2, 1), new BatchNorm2d(2));
  const bn = net.layers[1] as BatchNorm2d;
  assert.equal(freezeBatchNorm(net), 1);
  net.train();
  const x = randn([3, 2, 4, 4]).add(5);
  const before = bn.runningMean!.clone();
  const y = net.forward(x);
  assert.ok(close(bn.runningMean!, before, 0), 'running mean unchanged');
  assert.equal(bn.numBatchesTracked!.item(), 0);
  assert.equal(bn.weight!.requiresGrad, false);
  assert.equal(y.shape.join(), '3,2,4,4');
  assert.doesNotThrow(() => bn.forward(randn([1, 2, 1, 1])).dispose(), 'frozen: never a batch-size error');
  unfreezeBatchNorm(net);
  assert.equal(bn.weight!.requiresGrad, true);
  net.forward(x);
  assert.equal(bn.numBatchesTracked!.item(), 1);
});

test('BatchNorm2d gradients flow to input, weight and bias', () => {
  const bn = new BatchNorm2d(2);
  const x = randn([3, 2, 2, 2]).requiresGrad_(true);
  bn.forward(x).mul(randn([3, 2, 2, 2])).sum().backward();
  for (const t of [x, bn.weight!, bn.bias!]) assert.ok(t.grad && t.grad.abs().sum().item() > 0);
});

test('MaxPool2d with padding pads with -inf (ResNet stem), AdaptiveAvgPool2d, Flatten, Identity', () => {
  const x = arange(0, 16, 1, { dtype: 'float32' }).view(1, 1, 4, 4).neg();
  const y = new MaxPool2d(3, { stride: 2, padding: 1 }).forward(x);
  assert.deepEqual(y.toArray(), [[[[-0, -1], [-4, -5]]]]);
  assert.deepEqual(new AdaptiveAvgPool2d([1, 1]).forward(x).flatten().toArray(), [-7.5]);
  assert.deepEqual(new Flatten().forward(randn([2, 3, 1, 1])).shape, [2, 3]);
  assert.deepEqual(new Identity().forward(x).shape, [1, 1, 4, 4]);
});

test('F.pad (constant) and Tensor.roll', () => {
  const x = tensor([[1, 2], [3, 4]]);
  assert.deepEqual(F.pad(x, [0, 1]).toArray(), [[1, 2, 0], [3, 4, 0]]);
  assert.deepEqual(F.pad(x, [1, 0, 0, 1], 9).toArray(), [[9, 1, 2], [9, 3, 4], [9, 9, 9]]);
  assert.throws(() => F.pad(x, [1]), /even length/);
  assert.deepEqual(x.roll(1, 1).toArray(), [[2, 1], [4, 3]]);
  assert.deepEqual(x.roll([-1, 1], [0, 1]).toArray(), [[4, 3], [2, 1]]);
});

test('Conv2d with groups = channels (depthwise) keeps channels separate', () => {
  const conv = new Conv2d(2, 2, 3, { padding: 1, groups: 2, bias: false });
  assert.deepEqual(conv.weight.shape, [2, 1, 3, 3]);
  noGrad(() => { conv.weight.zero_(); conv.weight.select(0, 0).select(0, 0).select(0, 1).select(0, 1).fill_(2); });
  const x = randn([1, 2, 4, 4]);
  const y = conv.forward(x);
  assert.ok(close(y.select(1, 0), x.select(1, 0).mul(2)));
  assert.equal(y.select(1, 1).abs().sum().item(), 0);
});
