import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatComparisonTable } from './report';

test('formatComparisonTable aligns columns and marks the best row', () => {
  const t = formatComparisonTable([
    { name: 'pretrained + fine-tuned', accuracy: 0.9133, f1: 0.912, trainSeconds: 48.2 },
    { name: 'from scratch', accuracy: 0.7467, trainSeconds: 75 },
  ], { title: 'beans-like test set' });
  const lines = t.split('\n');
  assert.equal(lines[0], 'beans-like test set');
  assert.match(lines[1], /^model\s+accuracy\s+F1\s+train time\s+vs best$/);
  assert.match(lines[3], /^pretrained \+ fine-tuned\s+91\.3%\s+91\.2%\s+48\.2 s\s+best$/);
  assert.match(lines[4], /^from scratch\s+74\.7%\s+-\s+1 min 15 s\s+-16\.7 pts$/);
  // right-aligned numeric columns end at the same offsets
  assert.equal(lines[3].indexOf('%') , lines[4].indexOf('%'));
  assert.equal(lines[1].length, lines[2].length);
  const noF1 = formatComparisonTable([{ name: 'a', accuracy: 0.5, trainSeconds: 1 }]);
  assert.doesNotMatch(noF1, /F1/);
});
