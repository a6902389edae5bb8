// numpy's default_rng: SeedSequence -> PCG64 (XSL-RR 128/64) and Generator.permutation, so
// `shuffle({seed})` and `trainTestSplit({seed})` give the same order as Python `datasets`
// (which calls np.random.default_rng(seed).permutation(n)). Written from the published
// algorithms (PCG paper, numpy's SeedSequence design); 128-bit state in BigInt.

const M32 = 0xffffffff;
const MASK64 = (1n << 64n) - 1n;
const MASK128 = (1n << 128n) - 1n;
const PCG_MULT = 0x2360ed051fc65da44385df649fccf645n;

// SeedSequence constants (numpy/random/bit_generator.pyx)
const INIT_A = 0x43b0d7e5, MULT_A = 0x931e8875, INIT_B = 0x8b51f9dd, MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd, MIX_MULT_R = 0x4973f715, XSHIFT = 16, POOL_SIZE = 4;

const mul32 = (a: number, b: number) => Math.imul(a, b) >>> 0;

/** The seed as little-endian 32-bit words (numpy's _coerce_to_uint32_array for a non-negative int). */
function seedWords(seed: number | bigint): number[] {
  let s = BigInt(seed);
  if (s < 0n) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  const words: number[] = [];
  do { words.push(Number(s & 0xffffffffn)); s >>= 32n; } while (s > 0n);
  return words;
}

/** SeedSequence(seed).generate_state(nWords32) as uint32 words. */
function seedSequenceState(seed: number | bigint, nWords32: number): number[] {
  const entropy = seedWords(seed);
  let hashConst = INIT_A;
  const hashmix = (value: number): number => {
    value = (value ^ hashConst) >>> 0;
    hashConst = mul32(hashConst, MULT_A);
    value = mul32(value, hashConst);
    return (value ^ (value >>> XSHIFT)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (mul32(MIX_MULT_L, x) - mul32(MIX_MULT_R, y)) >>> 0;
    return (r ^ (r >>> XSHIFT)) >>> 0;
  };
  const pool = new Array<number>(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < entropy.length ? entropy[i]! : 0);
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) if (src !== dst) pool[dst] = mix(pool[dst]!, hashmix(pool[src]!));
  }
  for (let src = POOL_SIZE; src < entropy.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst]!, hashmix(entropy[src]!));
  }
  let hc = INIT_B;
  const out: number[] = [];
  for (let i = 0; i < nWords32; i++) {
    let v = (pool[i % POOL_SIZE]! ^ hc) >>> 0;
    hc = mul32(hc, MULT_B);
    v = mul32(v, hc);
    out.push((v ^ (v >>> XSHIFT)) >>> 0);
  }
  return out;
}

/** PCG64 (XSL-RR), seeded like numpy's PCG64(SeedSequence(seed)). */
class PCG64 {
  private state = 0n;
  private readonly inc: bigint;
  private hasUint32 = false;
  private uinteger = 0;

  constructor(seed: number | bigint) {
    const w = seedSequenceState(seed, 8);
    const u64 = (i: number) => (BigInt(w[2 * i + 1]!) << 32n) | BigInt(w[2 * i]!);
    const initState = (u64(0) << 64n) | u64(1);
    const initSeq = (u64(2) << 64n) | u64(3);
    this.inc = ((initSeq << 1n) | 1n) & MASK128;
    this.step();
    this.state = (this.state + initState) & MASK128;
    this.step();
  }
  private step(): void { this.state = (this.state * PCG_MULT + this.inc) & MASK128; }
  next64(): bigint {
    this.step();
    const s = this.state;
    const rot = Number(s >> 122n);
    const x = ((s >> 64n) ^ s) & MASK64;
    return ((x >> BigInt(rot)) | (x << BigInt((64 - rot) & 63))) & MASK64;
  }
  next32(): number {
    if (this.hasUint32) { this.hasUint32 = false; return this.uinteger; }
    const n = this.next64();
    this.hasUint32 = true;
    this.uinteger = Number(n >> 32n);
    return Number(n & 0xffffffffn);
  }
  /** numpy's random_interval: uniform in [0, max] by masked rejection. */
  interval(max: number): number {
    if (max === 0) return 0;
    if (max <= M32) {
      let mask = max;
      mask |= mask >>> 1; mask |= mask >>> 2; mask |= mask >>> 4; mask |= mask >>> 8; mask |= mask >>> 16;
      mask >>>= 0;
      for (;;) { const v = (this.next32() & mask) >>> 0; if (v <= max) return v; }
    }
    let mask = BigInt(max);
    for (const s of [1n, 2n, 4n, 8n, 16n, 32n]) mask |= mask >> s;
    for (;;) { const v = this.next64() & mask; if (v <= BigInt(max)) return Number(v); }
  }
  /** numpy's Generator.integers(lo, hi) for ranges below 2^32 (Lemire's method on 32-bit draws). */
  integers(lo: number, hi: number): number {
    const rng = hi - lo - 1;
    if (rng < 0) throw new Error(`integers: high (${hi}) must be greater than low (${lo})`);
    if (rng === 0) return lo;
    if (rng > M32) throw new Error('integers: ranges of 2^32 or more are not supported');
    const excl = BigInt(rng + 1);
    let m = BigInt(this.next32()) * excl;
    let leftover = m & 0xffffffffn;
    if (leftover < excl) {
      const threshold = BigInt((M32 - rng) % (rng + 1));
      while (leftover < threshold) { m = BigInt(this.next32()) * excl; leftover = m & 0xffffffffn; }
    }
    return lo + Number(m >> 32n);
  }
}

export interface Generator {
  permutation(n: number): Uint32Array;
  integers(lo: number, hi: number): number;
  /** numpy's Generator.shuffle of a list: in place, the same swaps as permutation(n). */
  shuffle<T>(items: T[]): T[];
  /** numpy's integers(0, 1 << 63) (a 64-bit Lemire draw, which for this range is next64 >> 1). */
  integers63(): bigint;
}

/** np.random.default_rng(seed): the same permutations as numpy for the same seed. */
export function defaultRng(seed?: number | bigint | null): Generator {
  const bitgen = new PCG64(seed ?? Math.floor(Math.random() * 2 ** 32));
  return {
    permutation(n: number): Uint32Array {
      const p = new Uint32Array(n);
      for (let i = 0; i < n; i++) p[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = bitgen.interval(i);
        const t = p[i]!; p[i] = p[j]!; p[j] = t;
      }
      return p;
    },
    integers: (lo, hi) => bitgen.integers(lo, hi),
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = bitgen.interval(i);
        const t = items[i]!; items[i] = items[j]!; items[j] = t;
      }
      return items;
    },
    integers63: () => bitgen.next64() >> 1n,
  };
}
