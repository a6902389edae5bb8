// Parameter initialisation (torch.nn.init), in place, with an optional seeded generator.
import { Tensor, Generator, tensor } from '../tensor';
import { noGrad } from '../runtime';

function fans(t: Tensor): [number, number] {
  const s = t.shape;
  if (s.length < 2) throw new Error('fan in and fan out need a tensor with at least 2 dimensions');
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return [s[1]! * receptive, s[0]! * receptive];
}
function erf(x: number): number {
  const t = tensor([x], { dtype: 'float64' });
  const e = t.erf();
  const v = e.item();
  t.dispose(); e.dispose();
  return v;
}

export const normal_ = (t: Tensor, mean = 0, std = 1, g?: Generator) => noGrad(() => t.normal_(mean, std, g));
export const uniform_ = (t: Tensor, a = 0, b = 1, g?: Generator) => noGrad(() => t.uniform_(a, b, g));
export const zeros_ = (t: Tensor) => noGrad(() => t.zero_());
export const ones_ = (t: Tensor) => noGrad(() => t.fill_(1));
export const constant_ = (t: Tensor, v: number) => noGrad(() => t.fill_(v));

/** Truncated normal in [a, b] by inverse CDF, as torch.nn.init.trunc_normal_. */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, g?: Generator): Tensor {
  const cdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;
  const l = cdf((a - mean) / std);
  const u = cdf((b - mean) / std);
  return noGrad(() => t.uniform_(2 * l - 1, 2 * u - 1, g).erfinv_().mul_(std * Math.SQRT2).add_(mean).clamp_(a, b));
}
export function xavierUniform_(t: Tensor, gain = 1, g?: Generator): Tensor {
  const [fi, fo] = fans(t);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a, g);
}
export function xavierNormal_(t: Tensor, gain = 1, g?: Generator): Tensor {
  const [fi, fo] = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fi + fo)), g);
}
function gainFor(nonlinearity: string, a: number): number {
  if (nonlinearity === 'relu') return Math.SQRT2;
  if (nonlinearity === 'leaky_relu') return Math.sqrt(2 / (1 + a * a));
  if (nonlinearity === 'tanh') return 5 / 3;
  return 1;
}
export function kaimingUniform_(t: Tensor, o: { a?: number; mode?: 'fan_in' | 'fan_out'; nonlinearity?: string; generator?: Generator } = {}): Tensor {
  const [fi, fo] = fans(t);
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? fi : fo;
  const bound = Math.sqrt(3) * gainFor(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
  return uniform_(t, -bound, bound, o.generator);
}
export function kaimingNormal_(t: Tensor, o: { a?: number; mode?: 'fan_in' | 'fan_out'; nonlinearity?: string; generator?: Generator } = {}): Tensor {
  const [fi, fo] = fans(t);
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? fi : fo;
  return normal_(t, 0, gainFor(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan), o.generator);
}
export { fans as calculateFanInAndFanOut };
