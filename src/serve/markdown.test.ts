// The model card renderer: the Markdown model cards use, and hostile input that must come out as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdown, renderInline, safeUrl } from './markdown';
import { createModelCard } from '../training/model-card';

test('headings, paragraphs, emphasis, code, lists, quotes, rules, tables', () => {
  const html = renderMarkdown([
    '# My *model*', '', 'Some **bold** and _italic_ text with `a < b` code', 'on two lines.', '',
    '- one', '- two with [a link](https://example.org/a_b_c "T")', '  - nested', '', '3. three', '4. four', '',
    '> quoted', '', '---', '', '```python', 'print("<hi>")', '```', '',
    '| a | b:c |', '|:--|--:|', '| 1 | `x\\|y` |', '| 2 | 3 |', '', 'snake_case_name stays', '',
  ].join('\n'));
  assert.match(html, /<h1 id="my-model">My <em>model<\/em><\/h1>/);
  assert.match(html, /<p>Some <strong>bold<\/strong> and <em>italic<\/em> text with <code>a &lt; b<\/code> code\non two lines.<\/p>/);
  assert.match(html, /<ul><li>one<\/li><li>two with <a href="https:\/\/example.org\/a_b_c" title="T" rel="noopener noreferrer nofollow">a link<\/a><ul><li>nested<\/li><\/ul><\/li><\/ul>/);
  assert.match(html, /<ol start="3"><li>three<\/li><li>four<\/li><\/ol>/);
  assert.match(html, /<blockquote><p>quoted<\/p><\/blockquote>/);
  assert.match(html, /<hr>/);
  assert.match(html, /<pre><code class="language-python">print\(&quot;&lt;hi&gt;&quot;\)<\/code><\/pre>/);
  assert.match(html, /<table><thead><tr><th style="text-align:left">a<\/th><th style="text-align:right">b:c<\/th><\/tr><\/thead><tbody><tr><td style="text-align:left">1<\/td><td style="text-align:right"><code>x\|y<\/code><\/td>/);
  assert.match(html, /<p>snake_case_name stays<\/p>/);
});

test("the Trainer's model card: the generated-automatically comment dropped, the results table rendered", () => {
  const card = createModelCard({
    modelName: 'tiny-vit', baseModel: 'google/vit-base-patch16-224-in21k', datasets: 'beans', task: 'image-classification',
    logHistory: [{ loss: 1.1, epoch: 1, step: 4 }, { eval_loss: 0.9, eval_accuracy: 0.75, epoch: 1, step: 4 }, { train_runtime: 3, train_loss: 1.1, epoch: 1, step: 4 }],
    hyperparameters: { learning_rate: 0.001 }, frameworkVersions: { hubtune: '0.1.0', libtorch: '2.x' },
  });
  const html = renderMarkdown(card.replace(/^---\n[\s\S]*?\n---\n/, ''));
  assert.doesNotMatch(html, /&lt;!--|<!--/);
  assert.match(html, /<h1 id="tiny-vit">tiny-vit<\/h1>/);
  assert.match(html, /<a href="https:\/\/huggingface.co\/google\/vit-base-patch16-224-in21k"/);
  assert.match(html, /<th style="text-align:center">Validation Loss<\/th>/);
  assert.match(html, /<td style="text-align:center">0\.75\s*<\/td>/);
  assert.match(html, /<li>learning_rate: 0\.001<\/li>/);
});

test('hostile cards: raw HTML, script URLs, attribute breaking, entities all come out as text', () => {
  const cases = [
    '<script>alert(1)</script>',
    '<img src=x onerror="alert(1)">',
    '<div align="center"><a href="javascript:alert(1)">x</a></div>',
    '[click](javascript:alert(1))',
    '[click](JaVa\tScRiPt:alert(1))',
    '[click](  javascript:alert(1))',
    '[click](data:text/html;base64,PHNjcmlwdD4=)',
    '[click](vbscript:msgbox)',
    '![x](javascript:alert(1))',
    '![x" onerror="alert(1)](a.png)',
    '[x](a.png" onclick="alert(1))',
    '[x](https://a.b/"><script>alert(1)</script>)',
    '[x](//evil.example/a)',
    '<https://a.b/"onmouseover="x>',
    '`<script>` **<b>bold</b>**',
    '| <script>x</script> | b |\n|---|---|\n| <img src=x onerror=y> | c |',
    '# <svg onload=alert(1)>',
    '```"><script>alert(1)</script>\ncode\n```',
    '&#106;avascript &lt;script&gt;',
    '\u0000<script>\u00000\u0000',
  ];
  for (const md of cases) {
    const html = renderMarkdown(md, { resolve: (p) => `/models/m/resolve/main/${encodeURIComponent(p)}` });
    // every '<' opens one of our tags, whose attributes are ours, quoted, and free of script URLs
    for (const at of html.matchAll(/</g)) {
      const tag = /^<\/?([a-z0-9]+)((?:\s+(?:href|src|alt|title|rel|loading|class|style|id|start)="[^"<>]*")*)>/.exec(html.slice(at.index));
      assert.ok(tag, `${md} -> stray '<' in ${html}`);
      assert.ok(['p', 'a', 'img', 'code', 'pre', 'strong', 'em', 'h1', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'br'].includes(tag[1]!), `${md} -> tag <${tag[1]}> in ${html}`);
      assert.doesNotMatch(tag[2]!, /(href|src)="\s*(javascript|vbscript|data):|(href|src)="\/\//i, `${md} -> ${html}`);
    }
  }
  assert.equal(renderInline('<script>alert(1)</script>'), '&lt;script&gt;alert(1)&lt;/script&gt;');
  assert.equal(renderInline('[click](javascript:alert(1))'), 'click');
  assert.equal(renderInline('![x" onerror="y](a.png)', { resolve: (p) => `/f/${p}` }), '<img src="/f/a.png" alt="x&quot; onerror=&quot;y" loading="lazy">');
});

test('URLs: http(s), mailto, anchors and relative paths (resolved to the served file) are kept; everything else dropped', () => {
  const resolve = (p: string) => `/models/m/resolve/main/${p}`;
  assert.equal(safeUrl('https://huggingface.co/x', 'link'), 'https://huggingface.co/x');
  assert.equal(safeUrl('mailto:a@b.c', 'link'), 'mailto:a@b.c');
  assert.equal(safeUrl('mailto:a@b.c', 'image'), null);
  assert.equal(safeUrl('#results', 'link'), '#results');
  assert.equal(safeUrl('./images/a.png', 'image', { resolve }), '/models/m/resolve/main/images/a.png');
  assert.equal(safeUrl('java\nscript:x', 'link'), null);
  assert.equal(safeUrl('file:///etc/passwd', 'link'), null);
  assert.equal(safeUrl('//evil.example', 'link'), null);
  // an external image is a link, not a request the page makes
  assert.equal(renderInline('![chart](https://example.org/c.png)'), '<a href="https://example.org/c.png" rel="noopener noreferrer nofollow">chart</a>');
  assert.equal(renderInline('see ![c](c.png)', { resolve }), 'see <img src="/models/m/resolve/main/c.png" alt="c" loading="lazy">');
  assert.equal(renderInline('![not served](../../etc/passwd.png)', { resolve: () => null }), 'not served');
});

test('pathological cards render in time that grows with their length, and a huge card is cut with a note', () => {
  const inputs = ['**a ', '_a ', '*a ', '~~a ', '`a ', '[', '[a](', '![a](', '[a]((', '<https://a ', 'http://a.b/( '].map((u) => u.repeat(Math.ceil(120_000 / u.length)));
  for (const md of inputs) {
    const t0 = performance.now();
    renderMarkdown(md);
    const ms = performance.now() - t0;
    assert.ok(ms < 1500, `${JSON.stringify(md.slice(0, 8))}… (${md.length} chars) took ${ms.toFixed(0)} ms`);
  }
  const huge = renderMarkdown('# big\n\n' + 'A line of text.\n'.repeat(40_000));
  assert.match(huge, /<p><em>The card is longer than 256 KiB: the rest is not shown\.<\/em><\/p>$/);
  assert.ok(huge.length < 300_000);
});
