// Every hidden_act of transformers' ACT2FN against its formula from activations.py (and torch's
// definitions for the nn modules), computed here in float64 with Math.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACT2FN, UNSUPPORTED_ACTIVATIONS, getActivation } from './functional';
import { tensor } from '../index';
import { checkActivation } from '../../models/config';

/** erf to ~1e-15: Maclaurin series below 3, continued fraction of erfc above. */
function erf(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(a) = exp(-a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + 2/(a + ...)))))
    let f = a;
    for (let k = 60; k >= 1; k--) f = a + (k / 2) / f;
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}
const c = Math.sqrt(2 / Math.PI);
const tanhGelu = (x: number) => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x ** 3)));
const gelu = (x: number) => x * 0.5 * (1 + erf(x / Math.SQRT2));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

// transformers' formulas (activations.py), name by name; torch's for the nn modules.
const FORMULAS: Record<string, (x: number) => number> = {
  gelu,
  gelu_10: (x) => Math.min(10, Math.max(-10, gelu(x))),
  gelu_fast: (x) => 0.5 * x * (1 + Math.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))),
  gelu_new: tanhGelu,
  gelu_python: gelu,
  gelu_pytorch_tanh: tanhGelu,
  gelu_python_tanh: tanhGelu,
  gelu_accurate: tanhGelu,
  laplace: (x) => 0.5 * (1 + erf((x - 0.707107) / (0.282095 * Math.SQRT2))),
  leaky_relu: (x) => (x > 0 ? x : 0.01 * x),
  linear: (x) => x,
  mish: (x) => x * Math.tanh(Math.log1p(Math.exp(x))),
  quick_gelu: (x) => x * sigmoid(1.702 * x),
  relu: (x) => Math.max(0, x),
  relu2: (x) => Math.max(0, x) ** 2,
  relu6: (x) => Math.min(6, Math.max(0, x)),
  sigmoid,
  silu: (x) => x * sigmoid(x),
  swish: (x) => x * sigmoid(x),
  tanh: Math.tanh,
};

const XS = [-30, -12, -7.5, -3, -2.2, -1, -0.5, -1e-3, 0, 1e-3, 0.3, 0.707107, 1, 2.5, 5.9, 6, 6.1, 11, 30];

test("ACT2FN holds every activation of transformers' ACT2FN but the learnable ones", () => {
  assert.deepEqual(Object.keys(ACT2FN).sort(), Object.keys(FORMULAS).sort());
  assert.deepEqual(Object.keys(UNSUPPORTED_ACTIVATIONS).sort(), ['prelu', 'xielu']);
});

test('each activation computes its formula (float64), keeps float32, and leaves its input alone', () => {
  for (const [name, f] of Object.entries(FORMULAS)) {
    const x = tensor(XS, { dtype: 'float64' });
    const y = getActivation(name)(x);
    assert.equal(y.dtype, 'float64', name);
    assert.notEqual(y, x, `${name} returned its input`);
    const got = y.tolist1d() as number[];
    got.forEach((v, i) => {
      const want = f(XS[i]!);
      assert.ok(Math.abs(v - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${name}(${XS[i]}) = ${v}, formula gives ${want}`);
    });
    y.dispose();
    assert.deepEqual(x.tolist1d(), XS, `${name} changed its input`);
    const y32 = getActivation(name)(tensor(XS, { dtype: 'float32' }));
    assert.equal(y32.dtype, 'float32', name);
    (y32.tolist1d() as number[]).forEach((v, i) => {
      const want = f(XS[i]!);
      assert.ok(Math.abs(v - want) <= 2e-6 * Math.max(1, Math.abs(want)), `${name}(${XS[i]}) in float32 = ${v}, formula gives ${want}`);
    });
  }
});

test('the approximations differ where transformers says they do', () => {
  const x = tensor([1.5], { dtype: 'float64' });
  const v = (n: string) => (getActivation(n)(x).tolist1d() as number[])[0]!;
  assert.notEqual(v('gelu'), v('gelu_new')); // erf vs tanh
  assert.notEqual(v('gelu_new'), v('gelu_fast')); // 0.7978845608 vs √(2/π)
  assert.notEqual(v('gelu'), v('quick_gelu'));
  assert.equal(v('gelu_10'), v('gelu'));
  assert.equal((getActivation('gelu_10')(tensor([40], { dtype: 'float64' })).tolist1d() as number[])[0], 10);
});

test('prelu / xielu and unknown names: one-line errors naming the config field', () => {
  assert.throws(() => getActivation('prelu'), /^Error: activation 'prelu' is not available in hubtune \(nn.PReLU has a learnable weight\): use one of gelu, /);
  assert.throws(() => checkActivation('hidden_act', 'xielu'), /config field 'hidden_act': activation 'xielu' is not available/);
  assert.throws(() => checkActivation('hidden_act', 'gelu_neww'), /config field 'hidden_act': unknown activation 'gelu_neww': use one of/);
  assert.throws(() => checkActivation('hidden_act', 'toString'), /unknown activation 'toString'/);
});
