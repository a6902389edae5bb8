#!/usr/bin/env node
// Lists import cycles among the compiled modules (default: dist/, after scripts/build.mjs).
// Only imports that survive compilation count (type-only imports are erased). Exit 1 on a cycle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';

const IMPORT = /(?:^|[;\n])\s*(?:import|export)\s*(?:[\w*{}\s,$]*?\s*from\s*)?(['"])(\.{1,2}\/[^'"]+)\1/g;

export function findCycles(dir) {
  const files = [];
  (function walk(d) {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.js')) files.push(p);
    }
  })(dir);
  const graph = new Map();
  for (const f of files) {
    const deps = [];
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) deps.push(resolve(dirname(f), m[2]));
    graph.set(f, deps.filter((d) => graph.has(d) || files.includes(d)));
  }
  // Tarjan's strongly connected components: every component with more than one module is a cycle.
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), cycles = [];
  function visit(v) {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(comp.map((p) => relative(dir, p)).sort());
    }
  }
  for (const f of files) if (!idx.has(f)) visit(f);
  return cycles;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = resolve(process.argv[2] ?? 'dist');
  const cycles = findCycles(dir);
  for (const c of cycles) console.log(`cycle: ${c.join(' <-> ')}`);
  if (cycles.length) process.exit(1);
  console.log(`no import cycles in ${relative(process.cwd(), dir) || '.'}`);
}
