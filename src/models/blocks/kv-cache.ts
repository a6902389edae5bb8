// The key/value cache of decoder self-attention (and encoder-decoder cross-attention): what
// transformers passes around as past_key_values. The cache owns its tensors (they outlive tidy
// scopes) and frees the ones it replaces.
import { Tensor, cat, keep } from '../../torch/index';

export class DynamicCache {
  private readonly keys: (Tensor | undefined)[] = [];
  private readonly values: (Tensor | undefined)[] = [];
  private readonly crossKeys: (Tensor | undefined)[] = [];
  private readonly crossValues: (Tensor | undefined)[] = [];

  /** Layers holding self-attention keys. */
  get numLayers(): number { return this.keys.length; }

  /** Cached positions (the key length of the first layer; 0 when empty). */
  getSeqLength(layer = 0): number { return this.keys[layer]?.shape[2] ?? 0; }

  /** Appends this step's keys/values [B, H, L, D] of one layer; returns the whole keys/values. */
  update(k: Tensor, v: Tensor, layer: number): [Tensor, Tensor] {
    const oldK = this.keys[layer];
    const oldV = this.values[layer];
    const newK = keep(oldK ? cat([oldK, k], 2) : k);
    const newV = keep(oldV ? cat([oldV, v], 2) : v);
    oldK?.dispose();
    oldV?.dispose();
    this.keys[layer] = newK;
    this.values[layer] = newV;
    return [newK, newV];
  }

  /** The cross-attention keys/values of one layer (computed from the encoder output once). */
  getCross(layer: number): [Tensor, Tensor] | null {
    const k = this.crossKeys[layer];
    const v = this.crossValues[layer];
    return k && v ? [k, v] : null;
  }
  setCross(layer: number, k: Tensor, v: Tensor): void {
    this.crossKeys[layer]?.dispose();
    this.crossValues[layer]?.dispose();
    this.crossKeys[layer] = keep(k);
    this.crossValues[layer] = keep(v);
  }

  /** Keeps the rows `index` (beam search: each beam continues from the beam it came from). */
  reorder(index: Tensor): void {
    for (const list of [this.keys, this.values, this.crossKeys, this.crossValues]) {
      list.forEach((t, i) => {
        if (!t) return;
        list[i] = keep(t.indexSelect(0, index));
        t.dispose();
      });
    }
  }

  /** Self-attention keys/values per layer, as transformers' legacy tuple ((k, v), ...). */
  toLegacy(): [Tensor, Tensor][] {
    return this.keys.map((k, i) => [k!, this.values[i]!]);
  }

  dispose(): void {
    for (const list of [this.keys, this.values, this.crossKeys, this.crossValues]) {
      for (const t of list) t?.dispose();
      list.length = 0;
    }
  }
}
