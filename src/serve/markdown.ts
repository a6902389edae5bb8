// A small, safe Markdown renderer for model cards (the subset model cards use: ATX headings, paragraphs,
// emphasis, inline code, fenced code, links and images, bullet and numbered lists, block quotes, rules,
// GitHub tables, autolinks). Safe by construction: every piece of source text is HTML-escaped before
// it reaches the output, the only tags and attributes are the ones written here, and URLs are kept
// only when they are http(s), mailto, in-page (#) or relative. Raw HTML in the source is shown as
// text, never passed through; HTML comments (the Trainer's "generated automatically" note) are dropped.

export interface MarkdownOptions {
  /** Maps a relative link or image path (e.g. `config.json`, `./images/a.png`) to a URL; null keeps it as is. */
  resolve?: (relative: string, kind: 'link' | 'image') => string | null;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]!);

/** A URL that is safe in href/src, or null: http(s), mailto (links only), #anchors and relative paths. */
export function safeUrl(raw: string, kind: 'link' | 'image', o: MarkdownOptions = {}): string | null {
  // Browsers drop ASCII whitespace and control characters inside a scheme ("java\tscript:").
  const url = raw.trim().replace(/[\u0000-\u001f\u007f\s]/g, (c) => (c === ' ' ? '%20' : ''));
  if (!url) return null;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) return scheme === 'http' || scheme === 'https' || (scheme === 'mailto' && kind === 'link') ? url : null;
  if (url.startsWith('//')) return null; // protocol-relative: another host
  if (url.startsWith('#') || url.startsWith('/')) return url;
  if (!o.resolve) return url;
  // a relative path that is not a served file: a link stays (it answers 404), an image is its alt text
  return o.resolve(url.replace(/^\.\//, ''), kind) ?? (kind === 'image' ? null : url);
}

const slug = (text: string) => text.toLowerCase().replace(/<[^>]*>/g, '').replace(/&[a-z#0-9]+;/g, '').replace(/[^\w\- ]+/g, '').trim().replace(/\s+/g, '-');

/** Inline Markdown to HTML. Code spans, links and images become placeholders first, so emphasis never reaches inside them. */
export function renderInline(src: string, o: MarkdownOptions = {}): string {
  const held: string[] = [];
  let s = inline(src.replace(/\u0000/g, ''), o, true, held);
  for (let k = 0; k < 8 && s.includes('\u0000'); k++) s = s.replace(/\u0000(\d+)\u0000/g, (_w, i: string) => held[Number(i)] ?? '');
  return s.replace(/\u0000/g, '');
}

function inline(src: string, o: MarkdownOptions, links: boolean, held: string[]): string {
  const hold = (html: string) => `\u0000${held.push(html) - 1}\u0000`;
  let s = src;
  // code spans: a run of backticks up to the same run
  s = s.replace(/(`{1,16})([\s\S]{0,2000}?[^`])\1(?!`)/g, (_, _t: string, code: string) => hold(`<code>${escapeHtml(code.replace(/^ (.*) $/s, '$1'))}</code>`));
  // backslash escapes
  s = s.replace(/\\([\\`*_{}[\]()#+\-.!|~<>])/g, (_, c: string) => hold(escapeHtml(c)));
  if (links) {
    const target = String.raw`\(\s*<?([^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)>?(?:\s+"([^"]*)")?\s*\)`;
    // images: ![alt](src "title")
    s = s.replace(new RegExp(String.raw`!\[([^\]]{0,400})\]` + target, 'g'), (whole: string, alt: string, url: string, title?: string) => {
      const u = safeUrl(url, 'image', o);
      if (u === null) return hold(escapeHtml(alt));
      // Only images served from here are shown (an offline page loads nothing from elsewhere); others become links.
      if (/^https?:/i.test(u)) return hold(`<a href="${escapeHtml(u)}" rel="noopener noreferrer nofollow">${escapeHtml(alt || u)}</a>`);
      return hold(`<img src="${escapeHtml(u)}" alt="${escapeHtml(alt)}"${title ? ` title="${escapeHtml(title)}"` : ''} loading="lazy">`);
    });
    // links: [text](href "title"), the text rendered inline (without links)
    s = s.replace(new RegExp(String.raw`\[((?:[^\[\]]|\[[^\[\]]{0,200}\]){0,400})\]` + target, 'g'), (_w: string, text: string, url: string, title?: string) => {
      const inner = inline(text, o, false, held);
      const u = safeUrl(url, 'link', o);
      if (u === null) return hold(inner);
      return hold(`<a href="${escapeHtml(u)}"${title ? ` title="${escapeHtml(title)}"` : ''} rel="noopener noreferrer nofollow">${inner}</a>`);
    });
    // autolinks <https://...> and bare URLs
    s = s.replace(/<(https?:\/\/[^\s<>]+)>/g, (_w, u: string) => hold(`<a href="${escapeHtml(u)}" rel="noopener noreferrer nofollow">${escapeHtml(u)}</a>`));
    s = s.replace(/\bhttps?:\/\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]]/g, (u) => hold(`<a href="${escapeHtml(u)}" rel="noopener noreferrer nofollow">${escapeHtml(u)}</a>`));
  }
  // everything left is text: escape it, then emphasis over the escaped text
  s = escapeHtml(s);
  s = s.replace(/\*\*(?=\S)([\s\S]{0,400}?\S)\*\*/g, '<strong>$1</strong>').replace(/(^|[^\w])__(?=\S)([\s\S]{0,400}?\S)__(?!\w)/g, '$1<strong>$2</strong>');
  s = s.replace(/\*(?=[^\s*])([\s\S]{0,400}?[^\s*])\*/g, '<em>$1</em>').replace(/(^|[^\w])_(?=[^\s_])([\s\S]{0,400}?[^\s_])_(?!\w)/g, '$1<em>$2</em>');
  s = s.replace(/~~(?=\S)([\s\S]{0,400}?\S)~~/g, '<del>$1</del>');
  return s.replace(/( {2,}|\\)\n/g, '<br>\n');
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(?:[ \t]+|$)/;
const QUOTE = /^ {0,3}> ?/;
const DELIM = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

function splitRow(line: string): string[] {
  let t = line.trim();
  if (t.startsWith('|')) t = t.slice(1);
  if (t.endsWith('|') && !t.endsWith('\\|')) t = t.slice(0, -1);
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '\\' && t[i + 1] === '|') { cur += '|'; i++; } else if (t[i] === '|') { cells.push(cur.trim()); cur = ''; } else cur += t[i];
  }
  cells.push(cur.trim());
  return cells;
}

const startsBlock = (line: string, next: string | undefined) =>
  FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line) || (line.includes('|') && next !== undefined && DELIM.test(next) && next.includes('-'));

function renderBlocks(lines: string[], o: MarkdownOptions, depth: number): string {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.trim()) { i++; continue; }
    let m: RegExpExecArray | null;
    if ((m = FENCE.exec(line))) {
      const fence = m[1]!;
      const lang = m[2]!.replace(/[^\w+.-]/g, '');
      const body: string[] = [];
      for (i++; i < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[i]!); i++) body.push(lines[i]!);
      i++;
      out.push(`<pre><code${lang ? ` class="language-${escapeHtml(lang)}"` : ''}>${escapeHtml(body.join('\n'))}</code></pre>`);
    } else if ((m = HEADING.exec(line))) {
      const n = m[1]!.length;
      const html = renderInline(m[2] ?? '', o);
      out.push(`<h${n} id="${escapeHtml(slug(html))}">${html}</h${n}>`);
      i++;
    } else if (RULE.test(line)) {
      out.push('<hr>');
      i++;
    } else if (line.includes('|') && i + 1 < lines.length && DELIM.test(lines[i + 1]!) && lines[i + 1]!.includes('-')) {
      const head = splitRow(line);
      const align = splitRow(lines[i + 1]!).map((c) => (c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : ''));
      const cell = (tag: string, text: string, k: number) => `<${tag}${align[k] ? ` style="text-align:${align[k]}"` : ''}>${renderInline(text, o)}</${tag}>`;
      const rows: string[] = [];
      for (i += 2; i < lines.length && lines[i]!.trim() && lines[i]!.includes('|') && !startsBlock(lines[i]!, undefined) ; i++) {
        const cells = splitRow(lines[i]!);
        rows.push(`<tr>${head.map((_, k) => cell('td', cells[k] ?? '', k)).join('')}</tr>`);
      }
      out.push(`<table><thead><tr>${head.map((h, k) => cell('th', h, k)).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`);
    } else if (QUOTE.test(line)) {
      const body: string[] = [];
      for (; i < lines.length && lines[i]!.trim() && (QUOTE.test(lines[i]!) || !startsBlock(lines[i]!, lines[i + 1])); i++) body.push(lines[i]!.replace(QUOTE, ''));
      out.push(`<blockquote>${depth < 8 ? renderBlocks(body, o, depth + 1) : escapeHtml(body.join('\n'))}</blockquote>`);
    } else if ((m = ITEM.exec(line))) {
      const ordered = /\d/.test(m[2]!);
      const start = ordered ? parseInt(m[2]!, 10) : 1;
      const items: string[][] = [];
      const indent = m[1]!.length;
      while (i < lines.length) {
        const l = lines[i]!;
        const im = ITEM.exec(l);
        if (im && im[1]!.length <= indent + 1 && /\d/.test(im[2]!) === ordered) {
          items.push([l.slice(im[0].length)]);
          i++;
          continue;
        }
        // continuation: indented lines (nested lists, wrapped text) and lazy paragraph lines
        if (l.trim() && (/^\s{2,}/.test(l) || !startsBlock(l, lines[i + 1]))) { items.at(-1)!.push(l.replace(/^ {1,4}/, '')); i++; continue; }
        if (!l.trim() && i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1]!)) { items.at(-1)!.push(''); i++; continue; }
        break;
      }
      const lis = items.map((it) => {
        const html = depth < 8 ? renderBlocks(it, o, depth + 1) : escapeHtml(it.join('\n'));
        // a one-paragraph item is its text
        return `<li>${/^<p>[\s\S]*<\/p>$/.test(html) && html.indexOf('<p>', 1) < 0 ? html.slice(3, -4) : html.replace(/^<p>([\s\S]*?)<\/p>\n?(?=<(ul|ol)>)/, '$1')}</li>`;
      });
      out.push(ordered ? `<ol${start !== 1 ? ` start="${start}"` : ''}>${lis.join('')}</ol>` : `<ul>${lis.join('')}</ul>`);
    } else {
      const body: string[] = [line];
      for (i++; i < lines.length && lines[i]!.trim() && !startsBlock(lines[i]!, lines[i + 1]); i++) body.push(lines[i]!);
      out.push(`<p>${renderInline(body.map((l) => l.replace(/^\s+/, '')).join('\n'), o)}</p>`);
    }
  }
  return out.join('\n');
}

/** The longest card rendered (larger ones are cut there, at a line end, with a note). */
export const MAX_MARKDOWN = 256 * 1024;

/** Markdown (a model card's body) to safe HTML. Spans are bounded, so time grows with the text's length, not its square. */
export function renderMarkdown(markdown: string, o: MarkdownOptions = {}): string {
  if (markdown.length > MAX_MARKDOWN) {
    const cut = markdown.lastIndexOf('\n', MAX_MARKDOWN);
    return renderMarkdown(markdown.slice(0, cut > 0 ? cut : MAX_MARKDOWN), o) + `\n<p><em>The card is longer than ${MAX_MARKDOWN / 1024} KiB: the rest is not shown.</em></p>`;
  }
  const text = markdown.replace(/\r\n?/g, '\n').replace(/<!--[\s\S]*?(-->|$)/g, '').replace(/\t/g, '    ');
  return renderBlocks(text.split('\n'), o, 0);
}
