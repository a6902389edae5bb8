import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pyFixed, pyFloat, pyJsonDumps, pyJsonParse, pyRepr, pyRound } from './pyjson';

// Expected strings produced by CPython 3.11 (repr, f"{x:.4f}", round(x, 2), json.dumps).
const xs = [4.5e-5, 0.6931, 1e-5, 2.0, 1e16, 1234567890123456, 0.0001, 0.1 + 0.2, 1e-8, 5e-5, -3.5e-7, 123.456, 1e22, 0.03125, 2.675, 0.5];

test('pyFloat matches Python repr(float)', () => {
  assert.equal(xs.map(pyFloat).join(' '),
    '4.5e-05 0.6931 1e-05 2.0 1e+16 1234567890123456.0 0.0001 0.30000000000000004 1e-08 5e-05 -3.5e-07 123.456 1e+22 0.03125 2.675 0.5');
  assert.equal(pyFloat(NaN), 'nan');
  assert.equal(pyFloat(-Infinity), '-inf');
  assert.equal(pyFloat(-0), '-0.0');
});

test('pyFixed and pyRound match Python formatting and round()', () => {
  assert.equal(xs.map((x) => pyFixed(x, 4)).join(' '),
    '0.0000 0.6931 0.0000 2.0000 10000000000000000.0000 1234567890123456.0000 0.0001 0.3000 0.0000 0.0001 -0.0000 123.4560 10000000000000000000000.0000 0.0312 2.6750 0.5000');
  assert.equal(xs.map((x) => pyFloat(pyRound(x, 2))).join(' '),
    '0.0 0.69 0.0 2.0 1e+16 1234567890123456.0 0.0 0.3 0.0 0.0 -0.0 123.46 1e+22 0.03 2.67 0.5');
  assert.equal(pyFixed(0.125, 2), '0.12'); // exact tie: half to even
  assert.equal(pyFixed(0.375, 2), '0.38');
});

test('pyJsonDumps matches json.dumps (indent, sort_keys, ensure_ascii, NaN, int vs float)', () => {
  const value = { b: [1, 2.5, { c: 'é\u0001"' }], a: {}, e: [], n: NaN, step: 3, epoch: 3 };
  assert.equal(pyJsonDumps(value, { indent: 4, sortKeys: true }),
    '{\n    "a": {},\n    "b": [\n        1.0,\n        2.5,\n        {\n            "c": "\\u00e9\\u0001\\""\n        }\n    ],\n    "e": [],\n    "epoch": 3.0,\n    "n": NaN,\n    "step": 3\n}');
  assert.equal(pyJsonDumps({ b: [1, 2.5], step: 3, epoch: 3 }), '{"b": [1.0, 2.5], "step": 3, "epoch": 3.0}');
  assert.equal(pyJsonDumps({ x: 3 }, { numberKind: () => 'int' }), '{"x": 3}');
});

test('pyRepr prints dicts as Python does', () => {
  assert.equal(pyRepr({ loss: 0.6931, learning_rate: 4.5e-5, epoch: 0.33 }), "{'loss': 0.6931, 'learning_rate': 4.5e-05, 'epoch': 0.33}");
  assert.equal(pyRepr({ a: "it's", b: true, c: null, step: 7, d: [1] }), `{'a': "it's", 'b': True, 'c': None, 'step': 7, 'd': [1.0]}`);
});

test('pyJsonParse reads NaN/Infinity written by Python', () => {
  const v = pyJsonParse('{"a": NaN, "b": -Infinity, "c": "NaN text", "d": [Infinity]}') as Record<string, unknown>;
  assert.ok(Number.isNaN(v.a as number));
  assert.equal(v.b, -Infinity);
  assert.equal(v.c, 'NaN text');
  assert.deepEqual(v.d, [Infinity]);
});
