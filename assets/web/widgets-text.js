// Inference widgets of the text tasks (see widgets.js for the shared parts and the image tasks):
// text and zero-shot classification (bars), fill-mask (the mask's completions), token classification
// (entities highlighted in the text), question answering (the answer highlighted in the context),
// text generation (tokens streamed as server-sent events), text-to-text, summarization, translation
// and feature extraction.
'use strict';

function textArea(value, id) { return h('textarea', { id: id || 'widget-text', spellcheck: 'false' }, value || ''); }
const valueOf = (id) => document.getElementById(id).value;
const computeButton = (go) => h('button', { type: 'button', class: 'primary', id: 'widget-run', onclick: go }, 'Compute');

/** A text widget: the text box, a Compute button (and Ctrl+Enter), and `show(output)` for the answer. */
function textWidget(box, info, extra, request) {
  const f = widgetFrame(box);
  const go = () => f.run(() => request(f));
  const text = textArea(info.examples[0]);
  text.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) go(); });
  box.append(text, ...extra, computeButton(go), f.status, f.output);
  return f;
}

WIDGETS['text-classification'] = (box, info, url) => textWidget(box, info, [], async (f) => {
  const out = await postInference(url, { inputs: valueOf('widget-text') });
  f.output.replaceChildren(bars(out[0]));
});

WIDGETS['fill-mask'] = (box, info, url) => {
  const mask = info.maskToken || '[MASK]';
  box.append(h('p', { class: 'small muted', id: 'mask-hint' }, 'Mask token: ', h('code', {}, mask)));
  textWidget(box, info, [], async (f) => {
    const text = valueOf('widget-text');
    if (!text.includes(mask)) throw new Error('The text has no ' + mask + ': put the mask token where a word should be guessed');
    const out = await postInference(url, { inputs: text });
    // one mask: [{token_str, score, sequence}]; several masks: one list per mask (the first one shown)
    const list = Array.isArray(out[0]) ? out[0] : out;
    f.output.replaceChildren(bars(list.map((x) => ({ label: x.token_str.trim() || x.token_str, score: x.score, title: x.sequence }))));
  });
};

/** `text` with the spans [{start, end, tag, cls}] marked (text nodes only). */
function marked(text, spans) {
  const parts = [];
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at || s.end > text.length) continue;
    parts.push(text.slice(at, s.start));
    parts.push(h('mark', { class: s.cls, 'data-entity': s.tag || null, title: s.title || null }, text.slice(s.start, s.end), s.tag ? h('span', { class: 'tag' }, s.tag) : null));
    at = s.end;
  }
  parts.push(text.slice(at));
  return parts;
}

WIDGETS['token-classification'] = (box, info, url) => textWidget(box, info, [], async (f) => {
  const text = valueOf('widget-text');
  const out = await postInference(url, { inputs: text });
  const spans = out.map((e) => ({ start: e.start, end: e.end, tag: e.entity_group || e.entity, cls: 'ent', title: (100 * e.score).toFixed(1) + '%' }));
  f.output.replaceChildren(h('div', { class: 'entities', id: 'entities' }, marked(text, spans)),
    out.length ? '' : h('p', { class: 'muted' }, 'No entities found.'));
});

WIDGETS['question-answering'] = (box, info, url) => {
  const context = textArea('My name is Clara and I live in Berkeley.', 'widget-context');
  textWidget(box, info, [h('label', { class: 'small', for: 'widget-context' }, 'Context'), context], async (f) => {
    const ctx = valueOf('widget-context');
    const a = await postInference(url, { inputs: { question: valueOf('widget-text'), context: ctx } });
    f.output.replaceChildren(h('div', {}, 'Answer: ', h('strong', { id: 'answer' }, a.answer), h('span', { class: 'muted' }, ' · ' + (100 * a.score).toFixed(1) + '%')),
      h('div', { class: 'entities', id: 'answer-context' }, marked(ctx, [{ start: a.start, end: a.end, cls: 'answer' }])));
  });
};

WIDGETS['zero-shot-classification'] = (box, info, url) => {
  const multi = h('input', { type: 'checkbox', id: 'widget-multi' });
  textWidget(box, info, [...labelsInput('refund, legal, faq'), h('label', { class: 'small' }, multi, ' several labels can be true')], async (f) => {
    const out = await postInference(url, { inputs: valueOf('widget-text'), parameters: { candidate_labels: splitLabels(), multi_label: multi.checked } });
    f.output.replaceChildren(bars(out));
  });
};

/** Reads a server-sent-events answer, calling onData with each event's JSON. */
async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let k;
    while ((k = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, k);
      buf = buf.slice(k + 2);
      for (const line of block.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = JSON.parse(line.slice(5).trim());
        if (data && data.error) throw new Error(data.error);
        onData(data);
      }
    }
  }
}

WIDGETS['text-generation'] = (box, info, url) => {
  const max = h('input', { type: 'number', id: 'widget-max-tokens', min: 1, max: 512, value: 40, style: 'width:70px' });
  const sample = h('input', { type: 'checkbox', id: 'widget-sample' });
  textWidget(box, info, [h('div', { class: 'row' }, h('label', { class: 'small' }, 'max new tokens ', max), h('label', { class: 'small' }, sample, ' sample'))], async (f) => {
    const prompt = valueOf('widget-text');
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: prompt, parameters: { max_new_tokens: Number(max.value) || 40, do_sample: sample.checked }, stream: true }) });
    if (!r.ok) { const e = await r.json().catch(() => ({})); throw new Error(e.error || 'HTTP ' + r.status); }
    const generated = h('span', { id: 'generated' });
    f.output.replaceChildren(h('div', { class: 'gen' }, h('span', { class: 'prompt' }, prompt), generated));
    let tokens = 0;
    await readEvents(r, (ev) => {
      if (ev.generated_text !== null && ev.generated_text !== undefined) generated.textContent = ev.generated_text;
      else { generated.append(ev.token.text); tokens++; }
      generated.dataset.tokens = tokens;
      f.status.textContent = tokens + ' tokens…';
    });
  });
};

function text2text(key) {
  return (box, info, url) => textWidget(box, info, [], async (f) => {
    const out = await postInference(url, { inputs: valueOf('widget-text') });
    f.output.replaceChildren(h('div', { class: 'gen', id: 'generated' }, out[0][key]));
  });
}
WIDGETS['text2text-generation'] = text2text('generated_text');
WIDGETS.summarization = text2text('summary_text');
WIDGETS.translation = text2text('translation_text');

WIDGETS['feature-extraction'] = (box, info, url) => textWidget(box, info, [], async (f) => {
  f.output.replaceChildren(vectorView(await postInference(url, { inputs: valueOf('widget-text') })));
});
