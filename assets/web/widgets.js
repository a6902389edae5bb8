// Inference widgets of the model page: one per pipeline task, each calling the server's Inference API
// (POST /models/{id}) from the browser. This file has the shared parts (requests, status, bars, the
// image input: drag and drop, file upload, URL) and the image tasks; widgets-text.js the text tasks.
// Every string of a prediction goes into the page as text.
'use strict';

const WIDGETS = {};

async function postInference(url, body, type) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': type || 'application/json' }, body: type ? body : JSON.stringify(body) });
  const out = await r.json().catch(() => ({ error: 'HTTP ' + r.status }));
  if (!r.ok) throw new Error(out.error || 'HTTP ' + r.status);
  return out;
}

/** The output area and status line every widget has; run(fn) shows progress, time and errors. */
function widgetFrame(box) {
  const status = h('div', { class: 'widget-status', id: 'widget-status' });
  const output = h('div', { class: 'widget-output', id: 'widget-output' });
  return {
    status, output,
    async run(fn) {
      output.dataset.state = 'running';
      status.textContent = 'Computing…';
      status.classList.remove('error');
      const t0 = performance.now();
      try {
        await fn();
        status.textContent = 'Computed in ' + Math.round(performance.now() - t0) + ' ms';
        output.dataset.state = 'done';
      } catch (e) {
        output.replaceChildren(h('p', { class: 'error' }, String(e.message || e)));
        status.textContent = '';
        output.dataset.state = 'error';
      }
    },
  };
}

/** Bars for [{label, score}] (highest first). */
function bars(items, o = {}) {
  return h('div', { class: 'bars', id: o.id || 'predictions' }, items.map((x) => h('div', { class: 'bar', 'data-label': x.label, 'data-score': x.score, title: x.title || x.label },
    h('span', {}, x.label), h('div', { class: 'fill', style: 'width:' + Math.max(0.5, 100 * x.score).toFixed(1) + '%' }), h('span', { class: 'muted' }, (100 * x.score).toFixed(1) + '%'))));
}

/** A vector answer (feature extraction): its shape and first values. */
function vectorView(out) {
  const shape = [];
  for (let x = out; Array.isArray(x); x = x[0]) shape.push(x.length);
  const flat = [];
  (function walk(x) { if (flat.length >= 8) return; if (Array.isArray(x)) x.forEach(walk); else flat.push(x); })(out);
  return h('div', { id: 'vector' }, h('div', {}, 'shape ', h('code', { id: 'vector-shape' }, '[' + shape.join(', ') + ']')),
    h('div', { class: 'muted' }, 'first values: ' + flat.map((v) => fmt(v)).join(', ') + ' …'));
}

function labelsInput(value) {
  return [h('label', { class: 'small', for: 'widget-labels' }, 'Candidate labels, comma-separated'), h('input', { type: 'text', id: 'widget-labels', value })];
}
const splitLabels = () => document.getElementById('widget-labels').value.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * The image input: drop a file on the zone, pick one, or give a URL (fetched by the browser: a page of
 * this server, or another site that allows it). Calls onImage(blob) with the image.
 */
function imageInput(onImage) {
  const preview = h('div', { id: 'widget-preview' }, 'Drag an image here, or click to pick one');
  const file = h('input', { type: 'file', id: 'widget-file', accept: 'image/*', hidden: true });
  const drop = h('div', { class: 'drop', id: 'widget-drop', tabindex: 0 }, preview, file);
  const url = h('input', { type: 'text', id: 'widget-url', placeholder: 'or an image URL' });
  const load = h('button', { type: 'button', id: 'widget-url-load' }, 'Load');
  let objectUrl = null;
  const take = (blob) => {
    if (!blob || !/^image\//.test(blob.type || 'image/')) { preview.replaceChildren(h('span', { class: 'error' }, 'not an image: ' + (blob && blob.type))); return; }
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(blob);
    preview.replaceChildren(h('img', { src: objectUrl, alt: 'input image', id: 'widget-image' }), h('span', {}, 'Drop another image or click to change'));
    onImage(blob);
  };
  drop.addEventListener('click', (e) => { if (e.target !== file) file.click(); });
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') file.click(); });
  file.addEventListener('change', () => { if (file.files[0]) take(file.files[0]); });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) take(e.dataTransfer.files[0]); });
  load.addEventListener('click', async () => {
    try {
      const r = await fetch(url.value.trim());
      if (!r.ok) throw new Error('HTTP ' + r.status);
      take(await r.blob());
    } catch (e) {
      preview.replaceChildren(h('span', { class: 'error' }, 'Cannot load ' + url.value + ': ' + (e.message || e)));
    }
  });
  return [drop, h('div', { class: 'row' }, url, load)];
}

const toBase64 = (blob) => new Promise((resolve, reject) => {
  const r = new FileReader();
  r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
  r.onerror = () => reject(r.error);
  r.readAsDataURL(blob);
});

WIDGETS['image-classification'] = (box, info, url) => {
  const f = widgetFrame(box);
  box.append(...imageInput((blob) => f.run(async () => {
    const out = await postInference(url, blob, blob.type || 'application/octet-stream');
    f.output.replaceChildren(bars(out));
  })), f.status, f.output);
};

WIDGETS['zero-shot-image-classification'] = (box, info, url) => {
  const f = widgetFrame(box);
  let image = null;
  const go = () => image && f.run(async () => {
    const out = await postInference(url, { inputs: { image: await toBase64(image) }, parameters: { candidate_labels: splitLabels() } });
    f.output.replaceChildren(bars(out));
  });
  box.append(...labelsInput('a cat, a dog, a bird'), ...imageInput((blob) => { image = blob; go(); }),
    h('button', { type: 'button', class: 'primary', id: 'widget-run', onclick: go }, 'Compute'), f.status, f.output);
};

WIDGETS['image-feature-extraction'] = (box, info, url) => {
  const f = widgetFrame(box);
  box.append(...imageInput((blob) => f.run(async () => {
    f.output.replaceChildren(vectorView(await postInference(url, blob, blob.type || 'application/octet-stream')));
  })), f.status, f.output);
};

/** Puts the widget of the model's task in `box`, or says why there is none. */
function renderWidget(box, info, url) {
  const make = info.task && WIDGETS[info.task];
  box.dataset.task = info.task || '';
  if (!make) {
    box.replaceChildren(h('p', { class: 'muted' }, info.task ? 'No widget for ' + info.task + ' yet.' : 'No widget: the model\'s task cannot be told (config.json cannot be read).'));
    return;
  }
  box.replaceChildren();
  // the task's own route, so a card's pipeline_tag (summarization on a text-to-text model) is the task asked
  make(box, info, url + '/pipeline/' + encodeURIComponent(info.task));
}
