import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { confusionMatrixSVG, lineChartSVG, niceTicks, saveChart, svgToPng } from './plots';

type Box = { x: number; y: number; w: number; h: number };
function rectOf(svg: string, cls: string): Box {
  const m = svg.match(new RegExp(`<rect class="${cls}" x="([\\d.]+)" y="([\\d.]+)" width="([\\d.]+)" height="([\\d.]+)"`));
  assert.ok(m, `no ${cls} rect`);
  return { x: +m[1], y: +m[2], w: +m[3], h: +m[4] };
}
const intersects = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;


/** Minimal well-formedness check: every opened element is closed in order. */
function assertWellFormed(svg: string) {
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[1]) assert.equal(stack.pop(), m[2]);
    else if (!m[3]) stack.push(m[2]);
  }
  assert.deepEqual(stack, []);
  assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
}

test('niceTicks picks 1-2-5 steps covering the range', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 975), [0, 200, 400, 600, 800]);
  assert.ok(niceTicks(3, 3).length >= 2);
});

test('lineChartSVG: axes, ticks, labels, legend, escaped text', () => {
  const svg = lineChartSVG({
    title: 'Loss <train & eval>', xLabel: 'step', yLabel: 'loss',
    series: [{ name: 'train', points: [[0, 1.1], [10, 0.7], [20, 0.5]] }, { name: 'eval', points: [[0, 1.2], [20, 0.6], [30, NaN]], dashed: true }],
  });
  assertWellFormed(svg);
  assert.match(svg, /Loss &lt;train &amp; eval&gt;/);
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
  assert.match(svg, />train</); assert.match(svg, />eval</); assert.match(svg, />step</); assert.match(svg, />loss</);
  assert.match(svg, /stroke-dasharray/);
  assertWellFormed(lineChartSVG({ title: 'empty', series: [] }));
  assertWellFormed(lineChartSVG({ title: 'flat', series: [{ name: 'a', points: [[1, 2]] }] }));
});

test('lineChartSVG: legend outside the plot, a colour per run with train/eval as line styles, end points not clipped', () => {
  const runs = ['fine-tuned from the pretrained checkpoint', 'trained from scratch', 'third run'];
  const series = runs.flatMap((r, i) => [
    { name: `${r}: train loss`, points: [[0, 2.3 - i], [50, 1.2], [100, 0.4 + i * 0.1]] as [number, number][], group: r },
    { name: `${r}: validation loss`, points: [[50, 1.3], [100, 0.6]] as [number, number][], dashed: true, group: r },
  ]);
  for (const params of [{ title: 'Loss', series }, { title: 'acc', yRange: [0, 1] as [number, number], series: [{ name: 'a', points: [[0, 0], [10, 1]] as [number, number][] }] }]) {
    const svg = lineChartSVG(params);
    assertWellFormed(svg);
    const plot = rectOf(svg, 'plot-area'), legend = rectOf(svg, 'legend');
    const [, W, H] = svg.match(/width="(\d+)" height="(\d+)"/)!.map(Number);
    assert.ok(!intersects(plot, legend), `legend ${JSON.stringify(legend)} overlaps the plot ${JSON.stringify(plot)}`);
    assert.ok(legend.x >= 0 && legend.y + legend.h <= H && legend.x + legend.w <= W, 'legend inside the image');
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(paths.length, params.series.length);
    for (const d of paths) {
      for (const [, x, y] of d.matchAll(/[ML]([\d.]+),([\d.]+)/g)) { // every point (the last included) at least a marker's radius + stroke inside the frame
        assert.ok(+x >= plot.x + 4 && +x <= plot.x + plot.w - 4 && +y >= plot.y + 4 && +y <= plot.y + plot.h - 4, `point ${x},${y} at the edge of ${JSON.stringify(plot)}`);
      }
    }
  }
  const svg = lineChartSVG({ title: 'Loss', series });
  const styles = [...svg.matchAll(/<path d="[^"]+" fill="none" stroke="(#[0-9a-f]+)"[^>]*\/>/g)].map((m) => ({ color: m[1], dashed: m[0].includes('stroke-dasharray') }));
  assert.equal(styles.length, 6);
  for (let i = 0; i < runs.length; i++) {
    assert.equal(styles[2 * i].color, styles[2 * i + 1].color, 'train and eval of one run share a colour');
    assert.deepEqual([styles[2 * i].dashed, styles[2 * i + 1].dashed], [false, true]);
  }
  assert.equal(new Set(styles.map((s) => s.color)).size, runs.length, 'one colour per run');
  // the legend repeats each series' colour and style
  const legendLines = [...svg.matchAll(/<line x1="[\d.]+" y1="[\d.]+" x2="[\d.]+" y2="[\d.]+" stroke="(#[0-9a-f]+)" stroke-width="2.5"[^>]*\/>/g)].map((m) => ({ color: m[1], dashed: m[0].includes('stroke-dasharray') }));
  assert.deepEqual(legendLines, styles);
});

test('confusionMatrixSVG: one cell per pair, counts written, axes named', () => {
  const svg = confusionMatrixSVG({ labels: ['a', 'b', 'c'], matrix: [[5, 1, 0], [2, 7, 1], [0, 0, 9]], title: 'CM' });
  assertWellFormed(svg);
  assert.equal((svg.match(/<rect [^>]*stroke="#ffffff"/g) ?? []).length, 9);
  assert.match(svg, />7</); assert.match(svg, /True label/); assert.match(svg, /Predicted label/);
  assert.match(svg, /accuracy 84\.0% \(21\/25\)/);
  assert.throws(() => confusionMatrixSVG({ labels: ['a', 'b'], matrix: [[1]] }), /matrix must be 2x2/);
});

test('svgToPng and saveChart render PNGs through sharp', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plots-'));
  try {
    const svg = lineChartSVG({ title: 't', series: [{ name: 's', points: [[0, 0], [1, 1]] }], width: 320, height: 200 });
    const p = await svgToPng(svg, join(dir, 'sub', 'a.png'));
    const meta = await sharp(p).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 640); // density 144 = 2x
    const r = await saveChart(confusionMatrixSVG({ labels: ['x', 'y'], matrix: [[1, 0], [0, 1]] }), join(dir, 'cm'));
    assert.ok(r.png);
    assert.match(await readFile(r.svg, 'utf8'), /<svg/);
    // text is actually drawn (fonts available): the title area is not blank
    const { data, info } = await sharp(r.png!).raw().toBuffer({ resolveWithObject: true });
    let dark = 0;
    for (let y = 0; y < 60; y++) for (let x = 0; x < info.width; x++) if (data[(y * info.width + x) * info.channels] < 128) dark++;
    assert.ok(dark > 50, `dark title pixels: ${dark}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
