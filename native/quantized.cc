// Dynamic int8 quantization of linear layers (what torch.ao.quantization.quantize_dynamic runs):
// int8 weights quantized per output channel (symmetric, zero point 0), activations quantized per
// call (per tensor, uint8 with a zero point, PyTorch's ChooseQuantizationParams), float32 in and out.
// The integer product runs on oneDNN's matmul primitive (int8_matmul.cc) where oneDNN's headers were
// there at build time, else on oneDNN's gemm function, else on libtorch's quantized kernels (Debian's
// libtorch 1.13 has no FBGEMM: oneDNN, else QNNPACK). libtorch's oneDNN path bakes each call's
// activation scale into the kernel it compiles, so every new input compiled ~70 kernels again (a
// ViT-base int8 forward 20 ms slower on a new image than on the same one); ours keep the scale out.
// A packed weight is a JS External of its own tag (never taken for a Tensor); the GC frees it.
#include "common.h"
#include "int8_matmul.h"
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>
#include <ATen/native/quantized/cpu/QuantUtils.h>
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <immintrin.h>
#include <vector>

namespace hubtune {
namespace {

static const napi_type_tag kPackedTag = {0x6875627475e6e652ULL, 0x716c696e656172a1ULL};

struct Packed {
  c10::intrusive_ptr<LinearPackedParamsBase> params;  // libtorch's packed weight (when gemm is absent)
  at::Tensor weight;                                  // int8 [out, in] row-major, for the oneDNN GEMM
  at::Tensor scales;                                  // float32 [out]
  c10::optional<at::Tensor> bias;                     // float32 [out]
  std::shared_ptr<Int8Matmul> matmul;                 // the weights in oneDNN's matmul layout, when built
  std::vector<int32_t> colsum;                        // Σ_k weight[n, k]: the input zero point's share of each output
  int64_t inFeatures = 0;
  int64_t outFeatures = 0;
};

// oneDNN's row-major C = alpha * (op(A) - ao) * (op(B) - bo) + beta * C + co, int32 accumulation.
using GemmU8S8S32Fn = int (*)(char transa, char transb, char offsetc, int64_t M, int64_t N, int64_t K, float alpha, const uint8_t* A,
                              int64_t lda, uint8_t ao, const int8_t* B, int64_t ldb, int8_t bo, float beta, int32_t* C, int64_t ldc,
                              const int32_t* co);
// HUBTUNE_INT8_GEMM, for comparisons: 'matmul' (oneDNN's matmul primitive, the default where built),
// 'gemm' (oneDNN's gemm function) or 'aten' (libtorch's quantized kernels).
const std::string& Int8Path() {
  static const std::string path = [] {
    const char* v = std::getenv("HUBTUNE_INT8_GEMM");
    std::string want = v && *v ? v : "matmul";
    if (want == "matmul" && !Int8Matmul::Available()) want = "gemm";
    return want;
  }();
  return path;
}
bool AtenOnly() { return Int8Path() == "aten"; }

GemmU8S8S32Fn LookupGemm() {
  return AtenOnly() ? nullptr : reinterpret_cast<GemmU8S8S32Fn>(LookupDnnl("dnnl_gemm_u8s8s32"));
}
GemmU8S8S32Fn GemmU8S8S32() {
  static GemmU8S8S32Fn fn = LookupGemm();
  return fn;
}

// q = clamp(nearbyint(x · inv) + zp, 0, 255): rounding half to even as libtorch's quantize does.
// The scalar loop is what the AVX-512 one computes, for the tail and other CPUs (the compiler left
// the clamps as branches: 1 ns a value, a third of a ViT-base int8 layer's time).
void QuantizeU8Scalar(const float* x, uint8_t* q, int64_t n, float inv, float zp) {
  for (int64_t i = 0; i < n; i++) {
    float r = std::nearbyint(x[i] * inv) + zp;
    r = r < 0.f ? 0.f : r > 255.f ? 255.f : r;
    q[i] = static_cast<uint8_t>(r);
  }
}
__attribute__((target("avx512f")))
void QuantizeU8Avx512(const float* x, uint8_t* q, int64_t n, float inv, float zp) {
  const __m512 vinv = _mm512_set1_ps(inv), vzp = _mm512_set1_ps(zp), lo = _mm512_setzero_ps(), hi = _mm512_set1_ps(255.f);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 v = _mm512_roundscale_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), vinv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(v, vzp), lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm512_cvtusepi32_epi8(_mm512_cvttps_epu32(v)));
  }
  QuantizeU8Scalar(x + i, q + i, n - i, inv, zp);
}
void QuantizeU8(const float* x, uint8_t* q, int64_t n, float inv, float zp) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) QuantizeU8Avx512(x, q, n, inv, zp);
  else QuantizeU8Scalar(x, q, n, inv, zp);
}

// The input's range, and whether it holds NaN (at::aminmax took 37 µs a ViT-base layer input).
struct Range { float lo, hi; bool nan; };
Range MinMaxScalar(const float* x, int64_t n, Range r) {
  for (int64_t i = 0; i < n; i++) {
    if (x[i] != x[i]) r.nan = true;
    else { r.lo = std::min(r.lo, x[i]); r.hi = std::max(r.hi, x[i]); }
  }
  return r;
}
__attribute__((target("avx512f")))
Range MinMaxAvx512(const float* x, int64_t n) {
  __m512 lo = _mm512_set1_ps(INFINITY), hi = _mm512_set1_ps(-INFINITY);
  __mmask16 nan = 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 v = _mm512_loadu_ps(x + i);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    lo = _mm512_min_ps(lo, v);  // a NaN in v leaves lo as it was (the second operand is returned)
    hi = _mm512_max_ps(hi, v);
  }
  return MinMaxScalar(x + i, n - i, Range{_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), nan != 0});
}
Range MinMax(const float* x, int64_t n) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  return avx512 ? MinMaxAvx512(x, n) : MinMaxScalar(x, n, Range{INFINITY, -INFINITY, false});
}

// y[m, n] = (acc[m, n] - zp · colsum[n]) · scale[n] (+ bias[n]): the dequantization, as libtorch's
// oneDNN path rounds it; colsum (Σ_k w[n, k]) is given when acc holds the product of the raw uint8 input.
__attribute__((target_clones("avx512f", "avx2", "default"), optimize("O3")))
void Dequantize(const int32_t* acc, float* y, int64_t rows, int64_t cols, const float* scale, const float* bias, int32_t zp, const int32_t* colsum) {
  for (int64_t m = 0; m < rows; m++) {
    const int32_t* a = acc + m * cols;
    float* o = y + m * cols;
    if (colsum && bias) {
      for (int64_t n = 0; n < cols; n++) o[n] = static_cast<float>(a[n] - zp * colsum[n]) * scale[n] + bias[n];
    } else if (colsum) {
      for (int64_t n = 0; n < cols; n++) o[n] = static_cast<float>(a[n] - zp * colsum[n]) * scale[n];
    } else if (bias) {
      for (int64_t n = 0; n < cols; n++) o[n] = static_cast<float>(a[n]) * scale[n] + bias[n];
    } else {
      for (int64_t n = 0; n < cols; n++) o[n] = static_cast<float>(a[n]) * scale[n];
    }
  }
}

// y[M, N] = dequantize(quantize(x) · Wᵀ) + bias, x [M, K] float32 contiguous: the activation
// quantized per tensor as libtorch's dynamic linear does (range including 0, uint8, zero point).
at::Tensor GemmForward(const at::Tensor& x, const Packed& p) {
  const int64_t M = x.size(0), K = x.size(1), N = p.outFeatures;
  const Range range = MinMax(x.data_ptr<float>(), M * K);
  const float lo = range.lo, hi = range.hi;
  if (range.nan || !std::isfinite(lo) || !std::isfinite(hi)) throw std::runtime_error("int8 linear: the input holds NaN or infinity; the activation cannot be quantized");
  auto qp = quant_utils::ChooseQuantizationParams(lo, hi, 0, 255, /*preserve_sparsity=*/false, /*force_scale_power_of_two=*/false, /*reduce_range=*/false);
  const int64_t rows = p.matmul ? Int8Matmul::PaddedRows(M) : M;  // padding rows are zeros, their products unused
  at::Tensor qx = at::empty({rows, K}, x.options().dtype(at::kByte));
  const float inv = 1.0f / qp.scale;
  const float* px = x.data_ptr<float>();
  uint8_t* pq = qx.data_ptr<uint8_t>();
  at::parallel_for(0, M * K, 1 << 15, [&](int64_t b, int64_t e) { QuantizeU8(px + b, pq + b, e - b, inv, static_cast<float>(qp.zero_point)); });
  if (rows > M) std::fill(pq + M * K, pq + rows * K, uint8_t{0});
  at::Tensor scale = p.scales * static_cast<float>(qp.scale);
  at::Tensor acc = at::empty({rows, N}, x.options().dtype(at::kInt));
  if (p.matmul) {
    p.matmul->Run(pq, rows, acc.data_ptr<int32_t>());
  } else {
    const int32_t co = 0;
    int st = GemmU8S8S32()('N', 'T', 'F', M, N, K, 1.f, pq, K, static_cast<uint8_t>(qp.zero_point), p.weight.data_ptr<int8_t>(), K, 0, 0.f,
                           acc.data_ptr<int32_t>(), N, &co);
    TORCH_CHECK(st == 0, "oneDNN int8 gemm failed with status ", st, " for ", M, "x", K, " by ", K, "x", N);
  }
  at::Tensor y = at::empty({M, N}, x.options());
  const float* ps = scale.data_ptr<float>();
  const float* pb = p.bias ? p.bias->data_ptr<float>() : nullptr;
  at::parallel_for(0, M, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(N, 1)), [&](int64_t b, int64_t e) {
    Dequantize(acc.data_ptr<int32_t>() + b * N, y.data_ptr<float>() + b * N, e - b, N, ps, pb, qp.zero_point, p.matmul ? p.colsum.data() : nullptr);
  });
  return y;
}

static const char* EngineName(at::QEngine e) {
  switch (e) {
    case at::QEngine::ONEDNN: return "onednn";
    case at::QEngine::QNNPACK: return "qnnpack";
    case at::QEngine::FBGEMM: return "fbgemm";
    default: return "none";
  }
}

// The engine packed weights are built for: oneDNN, else QNNPACK, else FBGEMM (set once).
static at::QEngine PickEngine() {
  auto& ctx = at::globalContext();
  const auto& have = ctx.supportedQEngines();
  for (auto e : {at::QEngine::ONEDNN, at::QEngine::FBGEMM, at::QEngine::QNNPACK}) {
    if (std::find(have.begin(), have.end(), e) != have.end()) {
      if (ctx.qEngine() != e) ctx.setQEngine(e);
      return e;
    }
  }
  throw std::runtime_error("this libtorch has no quantized CPU engine (oneDNN, FBGEMM or QNNPACK): int8 inference is not available; run in float32 or bfloat16");
}

static Packed* GetPacked(const Napi::Value& v) {
  bool ok = false;
  if (v.IsExternal()) napi_check_object_type_tag(v.Env(), v, &kPackedTag, &ok);
  if (!ok) throw Napi::TypeError::New(v.Env(), "expected a packed int8 linear weight (from qlinearPack)");
  return v.As<Napi::External<Packed>>().Data();
}

// qlinearEngine() -> 'onednn' | 'qnnpack' | 'fbgemm' (throws when there is none)
static Napi::Value QEngineName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), EngineName(PickEngine()));
}

// qlinearQuantize(weight [out, in] float) -> [int8 weight [out, in], float32 scales [out]]:
// symmetric per-output-channel scales max|w| / 127 (all-zero rows get scale 1).
static Napi::Value QQuantize(const Napi::CallbackInfo& info) {
  at::Tensor w = T(info[0]);
  if (w.dim() != 2) throw std::runtime_error("qlinearQuantize: the weight must be 2-D [out_features, in_features]");
  at::Tensor wf = w.to(at::kFloat).contiguous();
  at::Tensor amax = std::get<0>(wf.abs().max(1));
  at::Tensor scale = at::where(amax > 0, amax / 127.0, at::ones_like(amax));
  at::Tensor q = at::clamp(at::round(wf / scale.unsqueeze(1)), -127, 127).to(at::kChar);
  return ToArray(info.Env(), {q, scale});
}

// qlinearPack(int8 weight [out, in], float scales [out], bias [out] | null) -> packed weight
static Napi::Value QPack(const Napi::CallbackInfo& info) {
  at::Tensor w = T(info[0]);
  at::Tensor scale = T(info[1]);
  if (w.scalar_type() != at::kChar || w.dim() != 2) throw std::runtime_error("qlinearPack: the weight must be a 2-D int8 tensor");
  if (scale.dim() != 1 || scale.size(0) != w.size(0)) throw std::runtime_error("qlinearPack: one scale per output channel is needed");
  c10::optional<at::Tensor> bias = OptT(info[2]);
  if (bias) bias = bias->to(at::kFloat).contiguous();
  if (GemmU8S8S32()) {
    auto* p = new Packed{{}, w.contiguous(), scale.to(at::kFloat).contiguous(), bias, nullptr, {}, w.size(1), w.size(0)};
    if (Int8Path() == "matmul") {
      const int8_t* pw = p->weight.data_ptr<int8_t>();
      p->matmul = std::make_shared<Int8Matmul>(pw, p->outFeatures, p->inFeatures);
      p->colsum.assign(p->outFeatures, 0);
      for (int64_t n = 0; n < p->outFeatures; n++)
        for (int64_t c = 0; c < p->inFeatures; c++) p->colsum[n] += pw[n * p->inFeatures + c];
    }
    auto ext = Napi::External<Packed>::New(info.Env(), p, [](Napi::Env, Packed* d) { delete d; });
    napi_type_tag_object(info.Env(), ext, &kPackedTag);
    return ext;
  }
  PickEngine();
  at::Tensor zp = at::zeros({w.size(0)}, at::kLong);
  at::Tensor qw = at::_make_per_channel_quantized_tensor(w.contiguous(), scale.to(at::kDouble).contiguous(), zp, 0);
  static auto prepack = c10::Dispatcher::singleton()
                            .findSchemaOrThrow("quantized::linear_prepack", "")
                            .typed<c10::intrusive_ptr<LinearPackedParamsBase>(at::Tensor, c10::optional<at::Tensor>)>();
  auto* p = new Packed{prepack.call(qw, bias), {}, {}, {}, nullptr, {}, w.size(1), w.size(0)};
  auto ext = Napi::External<Packed>::New(info.Env(), p, [](Napi::Env, Packed* d) { delete d; });
  napi_type_tag_object(info.Env(), ext, &kPackedTag);
  return ext;
}

// qlinearForward(x [..., in] float32, packed) -> y [..., out] float32 (activations quantized per call)
static Napi::Value QForward(const Napi::CallbackInfo& info) {
  at::Tensor x = T(info[0]);
  Packed* p = GetPacked(info[1]);
  if (x.dim() < 1 || x.size(-1) != p->inFeatures) {
    throw std::runtime_error("int8 linear: input has " + std::to_string(x.dim() ? x.size(-1) : 0) + " features, the layer takes " + std::to_string(p->inFeatures));
  }
  if (x.device().type() != at::kCPU) throw std::runtime_error("int8 linear runs on the CPU only: move the model and its inputs to 'cpu'");
  at::Tensor in = x.scalar_type() == at::kFloat ? x.contiguous() : x.to(at::kFloat).contiguous();
  if (in.numel() == 0) {
    auto shape = in.sizes().vec();
    shape.back() = p->outFeatures;
    return TensorWrap::Wrap(info.Env(), at::zeros(shape, in.options()));
  }
  if (p->weight.defined()) {
    auto shape = in.sizes().vec();
    shape.back() = p->outFeatures;
    return TensorWrap::Wrap(info.Env(), GemmForward(in.reshape({-1, p->inFeatures}), *p).view(shape));
  }
  return TensorWrap::Wrap(info.Env(), p->params->apply_dynamic(in, /*reduce_range=*/false));
}

// qlinearUnpack(packed) -> [int8 weight, float32 scales, bias | null] (what was packed)
static Napi::Value QUnpack(const Napi::CallbackInfo& info) {
  Packed* p = GetPacked(info[0]);
  if (p->weight.defined()) {
    auto env = info.Env();
    auto arr = Napi::Array::New(env, 3);
    arr.Set(0u, TensorWrap::Wrap(env, p->weight));
    arr.Set(1u, TensorWrap::Wrap(env, p->scales));
    arr.Set(2u, p->bias ? TensorWrap::Wrap(env, *p->bias) : env.Null());
    return arr;
  }
  auto unpacked = p->params->unpack();
  at::Tensor qw = std::get<0>(unpacked);
  at::Tensor w = qw.int_repr().contiguous();
  at::Tensor s = qw.qscheme() == at::kPerChannelAffine || qw.qscheme() == at::kPerChannelSymmetric
                     ? qw.q_per_channel_scales().to(at::kFloat)
                     : at::full({w.size(0)}, qw.q_scale(), at::kFloat);
  auto b = std::get<1>(unpacked);
  auto env = info.Env();
  auto arr = Napi::Array::New(env, 3);
  arr.Set(0u, TensorWrap::Wrap(env, w));
  arr.Set(1u, TensorWrap::Wrap(env, s));
  arr.Set(2u, b && b->defined() ? TensorWrap::Wrap(env, *b) : env.Null());
  return arr;
}

// qlinearGemm() -> where int8 products run: 'matmul' (oneDNN's primitive), 'gemm' (oneDNN's gemm
// function) or 'aten' (libtorch's kernels)
static Napi::Value QGemm(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), GemmU8S8S32() ? Int8Path() : "aten"); }

}  // namespace

void RegisterQuantized(Napi::Env env, Napi::Object exports) {
  HT_EXPORT(exports, "qlinearGemm", QGemm);
  HT_EXPORT(exports, "qlinearEngine", QEngineName);
  HT_EXPORT(exports, "qlinearQuantize", QQuantize);
  HT_EXPORT(exports, "qlinearPack", QPack);
  HT_EXPORT(exports, "qlinearForward", QForward);
  HT_EXPORT(exports, "qlinearUnpack", QUnpack);
}

}  // namespace hubtune
