// Fused AdamW for float32 CPU parameters: one native call per parameter group, one pass over each
// parameter's memory (param, grad, exp_avg, exp_avg_sq) instead of the nine ATen ops (nine passes)
// of torch 1.13's single-tensor AdamW. The arithmetic is that path's, rounding for rounding: each
// step is computed in float32 in the same order, with a fused multiply-add exactly where ATen's
// AVX2/AVX-512 kernels use one (add_ with alpha; addcmul_, whose self + value*t1*t2 the compiler
// contracts), so the parameters come out bit-identical to the
// op-by-op path (src/torch/optim/fused-adamw.test.ts checks it). Used only where that holds: a CPU
// with AVX2+FMA and ATen dispatching to its AVX2 or AVX-512 kernels; elsewhere adamwFusedAvailable()
// is false and the optimizer runs op by op.
#pragma GCC optimize("fp-contract=off")
#include "common.h"
#include <ATen/Parallel.h>
#include <immintrin.h>
#include <cmath>
#include <cstdlib>

namespace hubtune {
namespace {

struct AdamwScalars { float decay, beta1, omb1, beta2, omb2, bc2Sqrt, eps, negStep; };

// torch 1.13 single-tensor AdamW, per element (x: float32 rounding after every operation):
//   p = p * (1 - lr*wd)
//   m = fma(g, 1 - beta1, m * beta1)                 exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
//   v = fma((1 - beta2) * g, g, v * beta2)          exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)
//   d = sqrt(v) / bc2Sqrt + eps                      (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
//   p = p + (-stepSize * m) / d                      param.addcdiv_(exp_avg, denom, value=-step_size)
__attribute__((target("avx2,fma"))) void AdamwRangeAvx2(float* p, const float* g, float* m, float* v, int64_t begin, int64_t end, const AdamwScalars& s) {
  const __m256 decay = _mm256_set1_ps(s.decay), b1 = _mm256_set1_ps(s.beta1), omb1 = _mm256_set1_ps(s.omb1);
  const __m256 b2 = _mm256_set1_ps(s.beta2), omb2 = _mm256_set1_ps(s.omb2), bc2 = _mm256_set1_ps(s.bc2Sqrt);
  const __m256 eps = _mm256_set1_ps(s.eps), neg = _mm256_set1_ps(s.negStep);
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    __m256 gi = _mm256_loadu_ps(g + i);
    __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), decay);
    __m256 mi = _mm256_fmadd_ps(gi, omb1, _mm256_mul_ps(_mm256_loadu_ps(m + i), b1));
    __m256 vi = _mm256_fmadd_ps(_mm256_mul_ps(omb2, gi), gi, _mm256_mul_ps(_mm256_loadu_ps(v + i), b2));
    __m256 di = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), bc2), eps);
    pi = _mm256_add_ps(pi, _mm256_div_ps(_mm256_mul_ps(neg, mi), di));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    _mm256_storeu_ps(p + i, pi);
  }
  for (; i < end; i++) {
    float gi = g[i];
    float pi = p[i] * s.decay;
    float mi = __builtin_fmaf(gi, s.omb1, m[i] * s.beta1);
    float vi = __builtin_fmaf(s.omb2 * gi, gi, v[i] * s.beta2);
    float di = std::sqrt(vi) / s.bc2Sqrt + s.eps;
    p[i] = pi + (s.negStep * mi) / di;
    m[i] = mi;
    v[i] = vi;
  }
}

// ATen dispatches to its AVX2 / AVX-512 kernels on such a CPU unless ATEN_CPU_CAPABILITY asks for
// 'default' (its non-vectorised kernels, which may round differently: then no fusing).
bool CpuCanFuse() {
  static const bool ok = [] {
    const char* cap = std::getenv("ATEN_CPU_CAPABILITY");
    if (cap && std::string(cap) == "default") return false;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return ok;
}

bool Fusable(const at::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous() && t.layout() == at::kStrided;
}

// adamwFused(params[], grads[], expAvgs[], expAvgSqs[], lr, beta1, beta2, eps, weightDecay, stepSizes[], bc2Sqrts[])
// stepSizes / bc2Sqrts: each parameter's lr / (1 - beta1^step) and sqrt(1 - beta2^step), computed in
// JS exactly as the op-by-op path computes them (bias corrections per parameter, as torch).
Napi::Value AdamwFused(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CpuCanFuse()) ThrowJs(env, "adamwFused: this CPU or libtorch build has no AVX2+FMA kernels; use the op-by-op AdamW");
  auto ps = TList(info[0]), gs = TList(info[1]), ms = TList(info[2]), vs = TList(info[3]);
  double lr = D(info[4]), beta1 = D(info[5]), beta2 = D(info[6]), eps = D(info[7]), wd = D(info[8]);
  auto stepSizes = info[9].As<Napi::Array>(), bc2Sqrts = info[10].As<Napi::Array>();
  size_t n = ps.size();
  if (gs.size() != n || ms.size() != n || vs.size() != n || stepSizes.Length() != n || bc2Sqrts.Length() != n) ThrowJs(env, "adamwFused: parameter, gradient and state lists differ in length");
  for (size_t k = 0; k < n; k++) {
    const int64_t numel = ps[k].numel();
    if (!Fusable(ps[k]) || !Fusable(gs[k]) || !Fusable(ms[k]) || !Fusable(vs[k]) || gs[k].numel() != numel || ms[k].numel() != numel || vs[k].numel() != numel) {
      ThrowJs(env, "adamwFused: every parameter, gradient and state must be a contiguous float32 CPU tensor of the parameter's size");
    }
  }
  at::NoGradGuard noGrad;
  for (size_t k = 0; k < n; k++) {
    double stepSize = stepSizes.Get(k).As<Napi::Number>().DoubleValue(), bc2Sqrt = bc2Sqrts.Get(k).As<Napi::Number>().DoubleValue();
    AdamwScalars s{static_cast<float>(1 - lr * wd), static_cast<float>(beta1), static_cast<float>(1 - beta1), static_cast<float>(beta2),
      static_cast<float>(1 - beta2), static_cast<float>(bc2Sqrt), static_cast<float>(eps), static_cast<float>(-stepSize)};
    float* p = ps[k].data_ptr<float>();
    const float* g = gs[k].data_ptr<float>();
    float* m = ms[k].data_ptr<float>();
    float* v = vs[k].data_ptr<float>();
    at::parallel_for(0, ps[k].numel(), 1 << 16, [&](int64_t b, int64_t e) { AdamwRangeAvx2(p, g, m, v, b, e, s); });
    ps[k].unsafeGetTensorImpl()->bump_version();
    ms[k].unsafeGetTensorImpl()->bump_version();
    vs[k].unsafeGetTensorImpl()->bump_version();
  }
  return env.Undefined();
}

Napi::Value AdamwFusedAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), CpuCanFuse());
}

}  // namespace

void RegisterFusedOptim(Napi::Env env, Napi::Object exports) {
  HT_EXPORT(exports, "adamwFused", AdamwFused);
  HT_EXPORT(exports, "adamwFusedAvailable", AdamwFusedAvailable);
}

}  // namespace hubtune
