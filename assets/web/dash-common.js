// Shared by hubtune serve's dataset viewer and training dashboard: element helper, JSON fetch, and
// a small SVG line chart (several series, steps on x, hover-free, legend below the plot).
'use strict';

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function getJson(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}
function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Math.round(v * 1e4) / 1e4);
}

/**
 * Draws series [{name, points: [[x, y], ...], colour?, dashed?}] into `box` (replacing what it had).
 * The svg carries data-points (total points drawn) so tests and people can tell it grew.
 */
function lineChart(box, series, o = {}) {
  const W = o.width || 520, H = o.height || 240, L = 56, R = 12, T = 12, B = 28;
  const pts = series.flatMap((x) => x.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart', 'data-points': pts.length, 'data-series': series.map((x) => x.name).join('|') });
  box.replaceChildren(h('div', { class: 'chart-title' }, o.title || ''), svg);
  if (!pts.length) { svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, o.empty || 'no values yet')); return svg; }
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { const d = Math.abs(y0) * 0.1 || 1; y0 -= d; y1 += d; }
  const pad = (y1 - y0) * 0.05;
  // values that are all >= 0 (learning rates, losses) keep an axis that starts at >= 0
  y0 = y0 >= 0 ? Math.max(0, y0 - pad) : y0 - pad; y1 += pad;
  // points inset from the frame so end points are never clipped
  const X = (x) => L + 4 + (x - x0) / (x1 - x0) * (W - L - R - 8);
  const Y = (y) => T + 4 + (1 - (y - y0) / (y1 - y0)) * (H - T - B - 8);
  svg.append(s('rect', { x: L, y: T, width: W - L - R, height: H - T - B, class: 'frame' }));
  for (let i = 0; i <= 4; i++) {
    const y = y0 + (y1 - y0) * i / 4;
    svg.append(s('line', { x1: L, x2: W - R, y1: Y(y), y2: Y(y), class: 'grid' }), s('text', { x: L - 4, y: Y(y) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(y)));
    const x = x0 + (x1 - x0) * i / 4;
    svg.append(s('text', { x: X(x), y: H - 8, 'text-anchor': 'middle', class: 'tick' }, fmt(Math.round(x * 100) / 100)));
  }
  series.forEach((ser, i) => {
    const p = ser.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    if (!p.length) return;
    const colour = ser.colour || COLOURS[i % COLOURS.length];
    svg.append(s('path', { d: p.map(([x, y], k) => `${k ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(''), fill: 'none', stroke: colour, 'stroke-width': 2, 'stroke-dasharray': ser.dashed ? '6 4' : null, 'data-name': ser.name, 'data-n': p.length }));
    for (const [x, y] of p.length <= 60 ? p : []) svg.append(s('circle', { cx: X(x), cy: Y(y), r: 2.5, fill: colour }, s('title', {}, `${ser.name} @ ${x}: ${fmt(y)}`)));
  });
  box.append(h('div', { class: 'legend' }, series.map((ser, i) => h('span', { class: 'key' }, h('i', { style: `border-color:${ser.colour || COLOURS[i % COLOURS.length]};border-style:${ser.dashed ? 'dashed' : 'solid'}` }), ser.name))));
  return svg;
}
