// Rotary position embeddings (RoFormer, as Llama uses them), with transformers' rope_scaling types
// 'linear', 'dynamic' (NTK) and 'llama3'. cos/sin are computed like LlamaRotaryEmbedding in 4.29:
// positions (float32) times inv_freq, duplicated, cached up to max_position_embeddings.
import { Tensor, tidy, arange, cat, keep, tensor, full, noGrad, nn } from '../../torch/index';
import { ConfigError } from '../config';

export interface RopeScaling {
  type?: string;
  rope_type?: string;
  factor?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
}

/** The rope_scaling types hubtune computes. */
export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3'] as const;

export function checkRopeScaling(s: RopeScaling | null): void {
  if (s === null || s === undefined) return;
  if (typeof s !== 'object') throw new ConfigError(`config field 'rope_scaling' must be an object like {"type": "linear", "factor": 2.0} or null`);
  const type = s.rope_type ?? s.type ?? 'default';
  if (!(ROPE_TYPES as readonly string[]).includes(type)) {
    throw new ConfigError(`rope_scaling type '${type}' is not supported by hubtune: use one of ${ROPE_TYPES.join(', ')}`);
  }
  if (type !== 'default' && !(typeof s.factor === 'number' && s.factor >= 1)) {
    throw new ConfigError(`rope_scaling.factor must be a number >= 1 for type '${type}', got ${JSON.stringify(s.factor)}`);
  }
}

/** inv_freq = 1 / base^(arange(0, dim, 2).float() / dim), with torch's float32 ops. */
function baseInvFreq(dim: number, base: number): Float32Array {
  return tidy(() => full([dim / 2], base).pow(arange(0, dim, 2).to('float32').div(dim)).reciprocal().toTypedArray() as Float32Array);
}

export class RotaryEmbedding {
  readonly dim: number;
  private base: number;
  private readonly maxPositions: number;
  private readonly scaling: RopeScaling | null;
  private readonly type: string;
  invFreq: Tensor;
  private cos: Tensor | null = null;
  private sin: Tensor | null = null;
  private cachedLen = 0;

  constructor(o: { dim: number; maxPositionEmbeddings: number; base?: number; scaling?: RopeScaling | null; invFreq?: Tensor }) {
    this.dim = o.dim;
    this.base = o.base ?? 10000;
    this.maxPositions = o.maxPositionEmbeddings;
    this.scaling = o.scaling ?? null;
    this.type = this.scaling?.rope_type ?? this.scaling?.type ?? 'default';
    this.invFreq = keep(o.invFreq ?? this.computeInvFreq(this.maxPositions));
  }

  private computeInvFreq(seqLen: number): Tensor {
    let base = this.base;
    if (this.type === 'dynamic' && seqLen > this.maxPositions) {
      const f = this.scaling!.factor!;
      base = base * ((f * seqLen) / this.maxPositions - (f - 1)) ** (this.dim / (this.dim - 2));
    }
    const inv = baseInvFreq(this.dim, base);
    if (this.type === 'llama3') {
      const s = this.scaling!;
      const factor = s.factor!;
      const low = s.low_freq_factor ?? 1;
      const high = s.high_freq_factor ?? 4;
      const oldLen = s.original_max_position_embeddings ?? 8192;
      const lowWavelen = oldLen / low;
      const highWavelen = oldLen / high;
      for (let i = 0; i < inv.length; i++) {
        const wavelen = (2 * Math.PI) / inv[i]!;
        if (wavelen > lowWavelen) inv[i] = inv[i]! / factor;
        else if (wavelen >= highWavelen) {
          const smooth = (oldLen / wavelen - low) / (high - low);
          inv[i] = (1 - smooth) * (inv[i]! / factor) + smooth * inv[i]!;
        }
      }
    }
    return tensor(inv);
  }

  /** Recomputes the cos/sin tables for at least `seqLen` positions. */
  private ensure(seqLen: number): void {
    if (this.cos && seqLen <= this.cachedLen) return;
    noGrad(() => {
      const len = Math.max(seqLen, this.maxPositions);
      if (this.type === 'dynamic' && len > this.maxPositions) { this.invFreq.dispose(); this.invFreq = keep(this.computeInvFreq(len)); }
      const [cos, sin] = tidy(() => {
        let t = arange(len, undefined, 1, { dtype: 'float32' });
        if (this.type === 'linear') t = t.div(this.scaling!.factor!);
        const freqs = t.unsqueeze(1).mul(this.invFreq.to('float32').unsqueeze(0));
        const emb = cat([freqs, freqs], -1);
        return [emb.cos(), emb.sin()];
      });
      this.cos?.dispose();
      this.sin?.dispose();
      this.cos = keep(cos);
      this.sin = keep(sin);
      this.cachedLen = len;
    });
  }

  /** cos and sin [B, 1, L, dim] at the given positions [B, L], in `dtype`. */
  forward(positionIds: Tensor, dtype: Tensor['dtype']): [Tensor, Tensor] {
    const maxPos = tidy(() => positionIds.max().item());
    this.ensure(maxPos + 1);
    return tidy(() => {
      const pick = (table: Tensor) => {
        const t = table.dtype === dtype ? table : table.to(dtype);
        return t.index([positionIds]).unsqueeze(1);
      };
      return [pick(this.cos!), pick(this.sin!)];
    });
  }

  dispose(): void {
    this.cos?.dispose();
    this.sin?.dispose();
    this.invFreq.dispose();
  }
}

/** q·cos + rotate_half(q)·sin (and the same for k), transformers' apply_rotary_pos_emb. */
export function applyRotary(q: Tensor, k: Tensor, cos: Tensor, sin: Tensor): [Tensor, Tensor] {
  return [nn.functional.rotaryEmbedding(q, cos, sin), nn.functional.rotaryEmbedding(k, cos, sin)];
}
