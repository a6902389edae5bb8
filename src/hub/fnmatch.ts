// Python's fnmatch (POSIX, case-sensitive) and huggingface_hub's filter_repo_objects.

const cache = new Map<string, RegExp>();

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Python's fnmatch.translate: `*` matches anything (including "/"), `?` one char, `[seq]`, `[!seq]`. */
export function fnmatchToRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re = '';
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i++];
    if (c === '*') {
      while (pattern[i] === '*') i++;
      re += '[\\s\\S]*';
    } else if (c === '?') {
      re += '[\\s\\S]';
    } else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') j++;
      if (j >= n) {
        re += '\\[';
      } else {
        let stuff = pattern.slice(i, j);
        i = j + 1;
        let negate = false;
        if (stuff.startsWith('!')) {
          negate = true;
          stuff = stuff.slice(1);
        }
        // Escape everything except range dashes.
        const body = stuff
          .split('-')
          .map((part) => part.replace(/[\\\]^[]/g, '\\$&'))
          .join('-');
        re += negate ? `[^${body}]` : body === '' ? '(?!)' : `[${body}]`;
      }
    } else {
      re += escapeRe(c);
    }
  }
  const out = new RegExp(`^${re}$`);
  cache.set(pattern, out);
  return out;
}

export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchToRegExp(pattern).test(name);
}

function asList(p: string | string[] | undefined): string[] | undefined {
  if (p === undefined) return undefined;
  const list = typeof p === 'string' ? [p] : p;
  // A pattern ending with "/" means the whole folder (Python adds "*").
  return list.map((x) => (x.endsWith('/') ? `${x}*` : x));
}

/** Keeps the paths matching one of `allowPatterns` (if given) and none of `ignorePatterns`. */
export function filterRepoPaths(
  paths: string[],
  allowPatterns?: string | string[],
  ignorePatterns?: string | string[],
): string[] {
  const allow = asList(allowPatterns);
  const ignore = asList(ignorePatterns);
  return paths.filter((p) => {
    if (allow && !allow.some((pat) => fnmatch(p, pat))) return false;
    if (ignore && ignore.some((pat) => fnmatch(p, pat))) return false;
    return true;
  });
}
