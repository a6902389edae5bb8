// Seeded permutations for shuffle / trainTestSplit.
// Same seed, same order, on every platform.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Generator { permutation(n: number): Uint32Array; integers(lo: number, hi: number): number }

export function defaultRng(seed?: number | null): Generator {
  const s = seed ?? Math.floor(Math.random() * 2 ** 32);
  const next = mulberry32(s);
  return {
    permutation(n: number): Uint32Array {
      const p = new Uint32Array(n);
      for (let i = 0; i < n; i++) p[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const t = p[i]; p[i] = p[j]; p[j] = t;
      }
      return p;
    },
    integers(lo: number, hi: number): number { return lo + Math.floor(next() * (hi - lo)); },
  };
}
