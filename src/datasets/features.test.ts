import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ClassLabel, Features, Image, Sequence, Value, featureRepr, inferFeature } from './features';

test('reprs match Python datasets', () => {
  const cl = new ClassLabel({ names: ['angular_leaf_spot', 'bean_rust', 'healthy'] });
  assert.equal(String(cl), "ClassLabel(names=['angular_leaf_spot', 'bean_rust', 'healthy'], id=None)");
  assert.equal(inspect(cl), String(cl));
  assert.equal(String(new Value('string')), "Value(dtype='string', id=None)");
  assert.equal(String(new Value('float')), "Value(dtype='float32', id=None)");
  assert.equal(String(new Image()), 'Image(mode=None, decode=True, id=None)');
  assert.equal(String(new Sequence({ feature: new Value('int32') })), "Sequence(feature=Value(dtype='int32', id=None), length=-1, id=None)");
  const f = new Features({ a: new Value('int64'), nested: { b: new Value('bool') } });
  assert.equal(String(f), "{'a': Value(dtype='int64', id=None), 'nested': {'b': Value(dtype='bool', id=None)}}");
});

test('ClassLabel int2str / str2int and their errors', () => {
  const cl = new ClassLabel({ names: ['neg', 'pos'] });
  assert.equal(cl.int2str(1), 'pos');
  assert.deepEqual(cl.int2str([0, 1, 0]), ['neg', 'pos', 'neg']);
  assert.equal(cl.str2int('neg'), 0);
  assert.equal(cl.str2int(' pos '), 1);
  assert.equal(cl.str2int('1'), 1, 'numeric strings of valid ids are accepted like Python');
  assert.deepEqual(cl.str2int(['pos', 'neg']), [1, 0]);
  assert.throws(() => cl.int2str(2), /Invalid integer class label 2: ClassLabel has 2 classes/);
  assert.throws(() => cl.int2str(-1), /Invalid integer class label -1/);
  assert.throws(() => cl.str2int('maybe'), /Invalid string class label 'maybe': not one of \['neg', 'pos'\]/);
  assert.equal(cl.encode(-1), -1, '-1 means no label');
  assert.throws(() => cl.encode(5, 'row 3: '), /row 3: class label 5 is outside the ClassLabel range \[-1, 2\)/);
  assert.equal(new ClassLabel({ numClasses: 3 }).names.join(), '0,1,2');
  assert.throws(() => new ClassLabel({ names: ['a', 'a'] }), /duplicated/);
});

test('features JSON form round-trips (the dataset_info.json / parquet metadata form)', () => {
  const f = new Features({
    image: new Image(), labels: new ClassLabel({ names: ['x', 'y'] }), text: new Value('string'),
    ids: new Sequence({ feature: new Value('int32') }), meta: { score: new Value('float32') },
  });
  const json = f.toJSON();
  assert.deepEqual(json.labels, { names: ['x', 'y'], _type: 'ClassLabel' });
  assert.deepEqual(json.image, { decode: true, _type: 'Image' });
  assert.deepEqual(json.text, { dtype: 'string', _type: 'Value' });
  assert.deepEqual(json.ids, { feature: { dtype: 'int32', _type: 'Value' }, length: -1, _type: 'Sequence' });
  assert.equal(String(Features.fromJSON(JSON.parse(JSON.stringify(json)))), String(f));
  // older files carry id and num_classes; datasets 4 writes List
  const old = Features.fromJSON({ label: { num_classes: 2, names: ['a', 'b'], id: null, _type: 'ClassLabel' }, toks: { feature: { dtype: 'string', _type: 'Value' }, _type: 'List' }, l: [{ dtype: 'int64', _type: 'Value' }] });
  assert.equal(String(old.get('label')), "ClassLabel(names=['a', 'b'], id=None)");
  assert.ok(old.get('toks') instanceof Sequence);
  assert.ok(old.get('l') instanceof Sequence);
  assert.throws(() => Features.fromJSON({ a: { _type: 'Audio' } }), /features\.a: feature type 'Audio' is not supported/);
});

test('features from the README YAML list form', () => {
  const f = Features.fromYamlList([
    { name: 'image', dtype: 'image' },
    { name: 'labels', dtype: { class_label: { names: { 0: 'a', 1: 'b' } } } },
    { name: 'tokens', sequence: 'string' },
    { name: 'pair', struct: [{ name: 'x', dtype: 'int32' }] },
  ]);
  assert.equal(String(f), "{'image': Image(mode=None, decode=True, id=None), 'labels': ClassLabel(names=['a', 'b'], id=None), 'tokens': Sequence(feature=Value(dtype='string', id=None), length=-1, id=None), 'pair': {'x': Value(dtype='int32', id=None)}}");
  assert.throws(() => Features.fromYamlList([{ name: 'l', dtype: { class_label: { names: { 0: 'a', 2: 'c' } } } }]), /some ids are missing/);
});

test('inference like pyarrow: ints, floats, lists, dicts; mixed types are a clear error', () => {
  assert.equal(String(inferFeature([1, 2, null], 'a')), "Value(dtype='int64', id=None)");
  assert.equal(String(inferFeature([1, 2.5], 'a')), "Value(dtype='float64', id=None)");
  assert.equal(String(inferFeature([[1, 2], []], 'a')), "Sequence(feature=Value(dtype='int64', id=None), length=-1, id=None)");
  assert.equal(String(inferFeature([new Float32Array(2)], 'a')), "Sequence(feature=Value(dtype='float32', id=None), length=-1, id=None)");
  assert.equal(featureRepr(inferFeature([{ x: 'a' }, { x: null, y: true }], 'a')), "{'x': Value(dtype='string', id=None), 'y': Value(dtype='bool', id=None)}");
  assert.throws(() => inferFeature([1, 'two'], 'score', (i) => `data.jsonl line ${i + 1}`), /column 'score' mixes number and string values \(first conflict at data\.jsonl line 2\)/);
});
