// String(tensor) in PyTorch's print style: values (summarised above 1000 elements), then dtype,
// device and grad information where they differ from the defaults.
import type { Tensor } from './tensor';

const THRESHOLD = 1000;
const EDGE = 3;

function fmtFloatFactory(values: number[]): (x: number) => string {
  const finite = values.filter((v) => Number.isFinite(v));
  const allInt = finite.every((v) => Number.isInteger(v));
  const absv = finite.map(Math.abs).filter((v) => v !== 0);
  const maxA = absv.length ? Math.max(...absv) : 0;
  const minA = absv.length ? Math.min(...absv) : 0;
  const special = (x: number) => (Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf');
  if (allInt) {
    if (maxA > 1e8) return (x) => (Number.isFinite(x) ? x.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : special(x));
    return (x) => (Number.isFinite(x) ? `${x.toFixed(0)}.` : special(x));
  }
  const sci = maxA / (minA || 1) > 1000 || maxA > 1e8 || (minA > 0 && minA < 1e-4);
  if (sci) return (x) => (Number.isFinite(x) ? x.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : special(x));
  return (x) => (Number.isFinite(x) ? x.toFixed(4) : special(x));
}

export function formatTensor(t: Tensor): string {
  const dtype = t.dtype;
  const shape = t.shape;
  const numel = shape.reduce((a, b) => a * b, 1);
  const summarize = numel > THRESHOLD;
  const arr = t.toArray();
  const values: number[] = [];
  const gather = (x: any, depth: number) => {
    if (depth === shape.length) { values.push(typeof x === 'boolean' ? +x : x); return; }
    const n = x.length;
    const idx = summarize && n > 2 * EDGE ? [...Array(EDGE).keys(), ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : [...Array(n).keys()];
    for (const i of idx) gather(x[i], depth + 1);
  };
  gather(arr, 0);
  const isFloat = dtype.startsWith('float') || dtype === 'bfloat16';
  const fmt = dtype === 'bool' ? (x: number) => (x ? 'True' : 'False') : isFloat ? fmtFloatFactory(values) : (x: number) => String(x);
  const width = Math.max(1, ...values.map((v) => fmt(v).length));
  const pad = (s: string) => s.padStart(width);
  const indent = 'tensor('.length;
  const render = (x: any, depth: number): string => {
    if (depth === shape.length) return pad(fmt(typeof x === 'boolean' ? +x : x));
    const n = x.length;
    const parts: string[] = [];
    const cut = summarize && n > 2 * EDGE;
    for (let i = 0; i < n; i++) {
      if (cut && i === EDGE) { parts.push(depth === shape.length - 1 ? ' ...' : '...'); i = n - EDGE - 1; continue; }
      parts.push(render(x[i], depth + 1));
    }
    if (depth === shape.length - 1) return `[${parts.join(', ')}]`;
    const sep = ',' + '\n'.repeat(shape.length - depth - 1) + ' '.repeat(indent + depth + 1);
    return `[${parts.join(sep)}]`;
  };
  let body = shape.length === 0 ? fmt(typeof arr === 'boolean' ? +arr : arr) : render(arr, 0);
  if (numel === 0) body = '[]';
  const extras: string[] = [];
  if (numel === 0 && shape.length > 1) extras.push(`size=(${shape.join(', ')})`);
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  if (!['float32', 'int64', 'bool'].includes(dtype)) extras.push(`dtype=torch.${dtype}`);
  const gf = t.gradFn;
  if (gf) extras.push(`grad_fn=<${gf}>`);
  else if (t.requiresGrad) extras.push('requires_grad=True');
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
