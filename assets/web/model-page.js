// hubtune serve's model page: the model card (rendered safely by the server), its metadata and
// model-index results, config summary, files with sizes, the "use in hubtune" snippet, and the
// inference widget of the model's task (widgets.js, widgets-text.js). Every string from the card,
// config or a prediction goes into the page as text (h() appends text nodes), except the card's
// HTML, which the server's Markdown renderer escaped and the page's content security policy guards.
'use strict';

const modelId = decodeURIComponent(location.pathname.replace(/^\/models\//, '').replace(/\/+$/, ''));
const modelPath = modelId.split('/').map(encodeURIComponent).join('/');

function showError(e) { document.getElementById('error').append(h('p', { class: 'error' }, String(e.message || e))); }

function sizeText(n) {
  if (n < 1024) return n + ' B';
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
}
function paramsText(n) {
  if (n === null || n === undefined) return 'unknown (no safetensors weights)';
  if (n >= 1e9) return (n / 1e9).toFixed(2) + 'B';
  if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return String(n);
}

function chips(info) {
  const out = [];
  const chip = (k, v) => h('span', { class: 'chip', 'data-kind': k }, h('b', {}, k), v);
  if (info.task) out.push(h('span', { class: 'task-chip', id: 'task' }, info.task));
  const c = info.card;
  if (c) {
    for (const b of c.baseModel) out.push(chip('base model', b));
    for (const d of c.datasets) out.push(chip('dataset', d));
    if (c.license) out.push(chip('license', c.license));
    for (const l of c.language) out.push(chip('language', l));
    for (const t of c.tags) out.push(chip('tag', t));
  }
  out.push(chip('source', info.source === 'hub-cache' ? 'Hub cache' : 'folder'));
  document.getElementById('chips').replaceChildren(...out);
}

function results(info) {
  const rows = info.card ? info.card.results : [];
  const box = document.getElementById('results-box');
  if (!rows.length) { box.replaceChildren(); return; }
  box.replaceChildren(h('h2', {}, 'Evaluation results'), h('table', { id: 'results' },
    h('thead', {}, h('tr', {}, ['task', 'dataset', 'metric', 'value'].map((k) => h('th', {}, k)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, h('td', {}, r.task), h('td', {}, r.dataset), h('td', {}, r.metric), h('td', {}, typeof r.value === 'number' ? fmt(r.value) : String(r.value)))))));
}

function config(info) {
  const t = document.getElementById('config');
  const c = info.config;
  if (!c) { t.replaceChildren(h('tr', {}, h('td', { class: 'muted' }, 'config.json cannot be read'))); return; }
  const rows = [['architecture', c.architecture || '–'], ['parameters', paramsText(c.parameters)], ...Object.entries(c.details)];
  t.replaceChildren(...rows.map(([k, v]) => h('tr', { 'data-key': k }, h('td', {}, k), h('td', {}, String(v)))));
  const labels = c.labels ? Object.entries(c.labels) : [];
  document.getElementById('labels').replaceChildren(labels.length ? h('div', {}, h('div', { class: 'small muted' }, 'labels (id2label)'),
    h('div', { class: 'chips', id: 'label-list' }, labels.slice(0, 200).map(([i, l]) => h('span', { class: 'chip' }, h('b', {}, i), l)), labels.length > 200 ? h('span', { class: 'muted' }, '… ' + labels.length + ' in all') : null)) : '');
}

function files(info) {
  const total = info.files.reduce((a, f) => a + f.size, 0);
  document.getElementById('files-total').textContent = info.files.length + ' files · ' + sizeText(total);
  const t = document.getElementById('files');
  t.className = 'files';
  t.replaceChildren(...info.files.map((f) => h('tr', { 'data-file': f.path },
    h('td', {}, h('a', { href: '/models/' + modelPath + '/resolve/main/' + f.path.split('/').map(encodeURIComponent).join('/') }, f.path)),
    h('td', { class: 'size' }, sizeText(f.size)))),
  ...info.skipped.map((p) => h('tr', { class: 'muted' }, h('td', {}, p + ' (a link out of the model folder: not served)'), h('td', {}))));
}

async function main() {
  document.getElementById('title').textContent = modelId;
  document.title = modelId + ' · hubtune';
  const info = await getJson('/api/models/' + modelPath);
  chips(info);
  for (const e of info.errors) showError(e);
  const card = document.getElementById('card');
  // The server's renderer escaped every string of the card: this HTML has only its own tags.
  if (info.card) card.innerHTML = info.card.html;
  else card.replaceChildren(h('p', { class: 'muted' }, 'No model card: this folder has no README.md.'));
  results(info);
  config(info);
  files(info);
  document.getElementById('snippet').textContent = info.snippet || '// no task: config.json cannot be read';
  document.getElementById('copy-snippet').addEventListener('click', () => navigator.clipboard && navigator.clipboard.writeText(info.snippet).catch(() => {}));
  document.getElementById('widget-task').textContent = info.task || '';
  renderWidget(document.getElementById('widget'), info, '/models/' + modelPath);
  document.body.dataset.ready = '1';
}
main().catch((e) => { showError(e); document.body.dataset.ready = 'error'; });
