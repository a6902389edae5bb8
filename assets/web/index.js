// hubtune serve's index page: the served models (with their task), datasets and training runs.
'use strict';

const path = (prefix, id) => prefix + id.split('/').map(encodeURIComponent).join('/');

function section(name, items, empty, row) {
  const box = document.getElementById(name);
  box.querySelector('.count').textContent = '(' + items.length + ')';
  box.querySelector('.list').replaceChildren(items.length
    ? h('ul', { class: 'cards' }, items.map((x) => h('li', { 'data-id': x.id }, row(x))))
    : h('p', { class: 'muted' }, empty));
}

async function main() {
  const [models, datasets, runs] = await Promise.all([getJson('/api/models'), getJson('/api/datasets'), getJson('/api/runs')]);
  section('models', models, 'No models: give hubtune serve model folders (with config.json), training output folders, or download models into the Hub cache.', (m) => [
    h('a', { href: path('/models/', m.id), class: 'name' }, m.id),
    h('span', { class: 'task-chip' + (m.pipeline_tag ? '' : ' broken') }, m.pipeline_tag || 'cannot be read'),
    h('span', { class: 'muted' }, m.source === 'hub-cache' ? 'Hub cache' : 'folder'),
  ]);
  section('datasets', datasets, 'No datasets: give hubtune serve dataset folders (saveToDisk, data files, image folders) or data files.', (d) => [
    h('a', { href: path('/datasets/', d.id), class: 'name' }, d.id),
    h('span', { class: 'muted' }, d.source === 'hub-cache' ? 'Hub cache' : d.source),
  ]);
  section('runs', runs, 'No training runs: give hubtune serve training output folders, or train with reportTo: [\'hubtune\'].', (r) => [
    h('a', { href: path('/runs/', r.id), class: 'name' }, r.id),
    h('span', { class: 'status ' + r.status }, r.status),
    h('span', { class: 'muted' }, 'step ' + (r.global_step ?? 0) + (r.max_steps ? ' / ' + r.max_steps : '') + (typeof r.last_loss === 'number' ? ' · loss ' + r.last_loss.toFixed(4) : '')),
  ]);
  document.body.dataset.ready = '1';
}
main().catch((e) => document.getElementById('error').replaceChildren(h('p', { class: 'error' }, String(e.message || e))));
