// clip_grad_norm_ with torch's semantics: the total norm over all gradients, every gradient scaled
// by min(1, max_norm / (total + 1e-6)). Returns the total norm before clipping.
import { Tensor, stack } from '../tensor';
import { noGrad } from '../runtime';

export function clipGradNorm(params: Tensor[], maxNorm: number, normType = 2): number {
  return noGrad(() => {
    const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    if (!grads.length) return 0;
    let total: Tensor;
    if (normType === Infinity) {
      const maxes = grads.map((g) => { const a = g.abs(); const m = a.max(); a.dispose(); return m; });
      const st = stack(maxes);
      total = st.max();
      st.dispose(); maxes.forEach((m) => m.dispose());
    } else {
      const norms = grads.map((g) => g.norm(normType));
      const st = stack(norms);
      total = st.norm(normType);
      st.dispose(); norms.forEach((n) => n.dispose());
    }
    const denom = total.add(1e-6);
    const coef = denom.rdiv(maxNorm);
    const clamped = coef.clamp(null, 1.0);
    for (const g of grads) g.mul_(clamped);
    const value = total.item();
    [total, denom, coef, clamped, ...grads].forEach((t) => t.dispose());
    return value;
  });
}
