// float32 Linear layers on oneDNN's sgemm instead of the BLAS libtorch was built with (bfloat16
// inference ones on oneDNN's bf16 gemv and matmul primitive: see Bf16Inference below).
//
// Why: Debian's libtorch does its float32 matrix products in OpenBLAS, whose kernel choice follows
// OPENBLAS_CORETYPE. On these machines it is set to Haswell (AVX2), which runs at about half the
// speed of the AVX-512 kernels the CPU has. oneDNN (linked by libtorch for its bf16/int8 paths)
// picks its own kernels from the CPU it finds, so dnnl_sgemm runs at the AVX-512 speed whatever
// OpenBLAS is told (measured here: 357 vs 181 GFLOP/s for 197x768 by 768x3072 on 2 cores).
//
// The symbol is looked up at run time in the oneDNN libtorch already loaded, so nothing new is
// linked; where it is absent (a libtorch with oneDNN linked in statically), at::linear is used.
// The layer is an autograd function whose backward uses the same sgemm, so training gets it too.
// Under autocast, for other dtypes or devices, at::linear runs as before.
#include "common.h"
#include <ATen/autocast_mode.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/custom_function.h>
#include <dlfcn.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>
#include <ATen/Parallel.h>
#ifdef HUBTUNE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace hubtune {

void* LookupDnnl(const char* symbol) {
  for (const char* lib : {"libdnnl.so.2", "libdnnl.so.3", "libtorch_cpu.so"}) {
    void* h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
    if (!h) continue;
    if (void* f = dlsym(h, symbol)) return f;
  }
  return nullptr;
}

namespace {

using SgemmFn = int (*)(char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                        const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

SgemmFn Sgemm() {
  static SgemmFn fn = reinterpret_cast<SgemmFn>(LookupDnnl("dnnl_sgemm"));
  return fn;
}
bool g_enabled = true;
int g_threads = 0;  // 0: the intra-op setting

// oneDNN's OpenMP threads follow the calling thread's OpenMP setting, which libtorch's intra-op
// setting also is. Linear layers may run wider than element-wise ops (runtime.ts says why), so the
// setting is raised around the call; omp_set_num_threads is looked up in the libgomp libtorch uses.
using OmpSetFn = void (*)(int);
using OmpGetFn = int (*)();
struct Omp {
  OmpSetFn set = nullptr;
  OmpGetFn get = nullptr;
  Omp() {
    for (const char* lib : {"libgomp.so.1", "libomp.so", "libiomp5.so"}) {
      void* h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
      if (!h) continue;
      set = reinterpret_cast<OmpSetFn>(dlsym(h, "omp_set_num_threads"));
      get = reinterpret_cast<OmpGetFn>(dlsym(h, "omp_get_max_threads"));
      if (set && get) return;
    }
    set = nullptr;
    get = nullptr;
  }
};
const Omp& OmpFns() {
  static Omp o;
  return o;
}

// Row-major C[M,N] (+)= op(A)[M,K] * op(B)[K,N]; op is a transpose when the flag says so.
void Gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const at::Tensor& A, const at::Tensor& B, float beta, at::Tensor& C) {
  if (M == 0 || N == 0) return;
  if (K == 0) { if (beta == 0.f) C.zero_(); return; }
  const Omp& omp = OmpFns();
  const int prev = g_threads > 0 && omp.set ? omp.get() : 0;
  if (prev > 0 && prev != g_threads) omp.set(g_threads);
  int st = Sgemm()(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.f, A.data_ptr<float>(), A.stride(0), B.data_ptr<float>(), B.stride(0),
                   beta, C.data_ptr<float>(), C.stride(0));
  if (prev > 0 && prev != g_threads) omp.set(prev);
  TORCH_CHECK(st == 0, "oneDNN sgemm failed with status ", st, " for ", M, "x", K, " by ", K, "x", N);
}

struct DnnlLinear : public torch::autograd::Function<DnnlLinear> {
  // `b` is an empty tensor when there is no bias (autograd functions take no undefined tensors).
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, bool hasBias) {
    RECORD_FUNCTION("hubtune::onednn_linear", std::vector<c10::IValue>({x, w}));
    const int64_t K = x.size(-1), N = w.size(0);
    at::Tensor x2 = x.reshape({-1, K}).contiguous();
    at::Tensor wc = w.contiguous();
    at::Tensor y = at::empty({x2.size(0), N}, x.options());
    if (hasBias) y.copy_(b.expand({x2.size(0), N}));
    Gemm(false, true, x2.size(0), N, K, x2, wc, hasBias ? 1.f : 0.f, y);
    ctx->save_for_backward({x2, wc});
    ctx->saved_data["has_bias"] = hasBias;
    auto out = x.sizes().vec();
    out.back() = N;
    return y.view(out);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    RECORD_FUNCTION("hubtune::onednn_linear_backward", std::vector<c10::IValue>({grads[0]}));
    auto saved = ctx->get_saved_variables();
    const at::Tensor& x2 = saved[0];
    const at::Tensor& w = saved[1];
    const int64_t M = x2.size(0), K = x2.size(1), N = w.size(0);
    at::Tensor gy = grads[0].reshape({M, N}).contiguous();
    at::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) {
      gx = at::empty({M, K}, gy.options());
      Gemm(false, false, M, K, N, gy, w, 0.f, gx);  // dY[M,N] * W[N,K]
      auto shape = grads[0].sizes().vec();
      shape.back() = K;
      gx = gx.view(shape);
    }
    if (ctx->needs_input_grad(1)) {
      gw = at::empty({N, K}, gy.options());
      Gemm(true, false, N, K, M, gy, x2, 0.f, gw);  // dY^T[N,M] * X[M,K]
    }
    if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) gb = gy.sum(0);
    return {gx, gw, gb, at::Tensor()};
  }
};

bool UseDnnl(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (!g_enabled || !Sgemm()) return false;
  if (x.scalar_type() != at::kFloat || w.scalar_type() != at::kFloat || !x.device().is_cpu() || !w.device().is_cpu()) return false;
  if (w.dim() != 2 || x.dim() < 1 || x.numel() == 0 || x.size(-1) != w.size(1)) return false;  // at::linear gives the shape error
  if (b.defined() && (b.scalar_type() != at::kFloat || !b.device().is_cpu() || b.dim() != 1 || b.size(0) != w.size(0))) return false;
  if (at::autocast::is_cpu_enabled()) return false;  // autocast casts linear to bf16: leave it to ATen
  return true;
}

// A matrix slice [..., R, C] as dnnl_sgemm reads it: row-major with leading dimension `ld`, or the
// transpose of one. False: neither (the caller makes it contiguous).
bool SliceLayout(const at::Tensor& t, bool& transposed, int64_t& ld) {
  const int64_t r = t.size(-2), c = t.size(-1), sr = t.stride(-2), sc = t.stride(-1);
  if (sc == 1 && (r == 1 || sr >= c)) {
    transposed = false;
    ld = r == 1 ? std::max<int64_t>(c, 1) : sr;
    return true;
  }
  if (sr == 1 && (c == 1 || sc >= r)) {
    transposed = true;
    ld = c == 1 ? std::max<int64_t>(r, 1) : sc;
    return true;
  }
  return false;
}

// Element offset of every leading index of t (all dims but the last two), in row-major order.
std::vector<int64_t> BatchOffsets(const at::Tensor& t, int64_t batch) {
  std::vector<int64_t> off(batch, 0);
  const int64_t lead = t.dim() - 2;
  for (int64_t i = 0; i < batch; i++) {
    int64_t rest = i, o = 0;
    for (int64_t d = lead - 1; d >= 0; d--) {
      o += (rest % t.size(d)) * t.stride(d);
      rest /= t.size(d);
    }
    off[i] = o;
  }
  return off;
}

// C[..., M, N] = A[..., M, K] · B[..., K, N] over equal leading dims, views read in place. Many small
// products (attention heads) run one per thread; fewer than the threads share each product instead.
at::Tensor BatchedProduct(at::Tensor a, at::Tensor b) {
  bool ta = false, tb = false;
  int64_t lda = 0, ldb = 0;
  if (!SliceLayout(a, ta, lda)) { a = a.contiguous(); SliceLayout(a, ta, lda); }
  if (!SliceLayout(b, tb, ldb)) { b = b.contiguous(); SliceLayout(b, tb, ldb); }
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  auto shape = a.sizes().vec();
  shape.back() = N;
  at::Tensor c = at::empty(shape, a.options());
  const int64_t batch = M * N == 0 ? 0 : c.numel() / (M * N);
  if (batch == 0) return c;
  if (K == 0) return c.zero_();
  const auto offA = BatchOffsets(a, batch), offB = BatchOffsets(b, batch);
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  float* pc = c.data_ptr<float>();
  std::atomic<int> failed{0};
  auto one = [&](int64_t i) {
    int st = Sgemm()(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.f, pa + offA[i], lda, pb + offB[i], ldb, 0.f, pc + i * M * N, N);
    if (st != 0) failed = st;
  };
  if (batch >= at::get_num_threads() && at::get_num_threads() > 1) {
    // inside the parallel region oneDNN's sgemm runs on the calling thread
    at::parallel_for(0, batch, 1, [&](int64_t s, int64_t e) { for (int64_t i = s; i < e; i++) one(i); });
  } else {
    for (int64_t i = 0; i < batch; i++) one(i);
  }
  TORCH_CHECK(failed == 0, "oneDNN sgemm failed with status ", failed.load(), " for a batch of ", M, "x", K, " by ", K, "x", N);
  return c;
}

// A batched float32 product whose backward uses the same kernel (attention scores and context).
struct DnnlBatchedProduct : public torch::autograd::Function<DnnlBatchedProduct> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& a, const at::Tensor& b) {
    RECORD_FUNCTION("hubtune::onednn_bmm", std::vector<c10::IValue>({a, b}));
    ctx->save_for_backward({a, b});
    return BatchedProduct(a, b);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    RECORD_FUNCTION("hubtune::onednn_bmm_backward", std::vector<c10::IValue>({grads[0]}));
    auto saved = ctx->get_saved_variables();
    at::Tensor ga, gb;
    if (ctx->needs_input_grad(0)) ga = BatchedProduct(grads[0], saved[1].transpose(-2, -1));
    if (ctx->needs_input_grad(1)) gb = BatchedProduct(saved[0].transpose(-2, -1), grads[0]);
    return {ga, gb};
  }
};

bool IsFloatCpu(const at::Tensor& t) { return t.defined() && t.scalar_type() == at::kFloat && t.device().is_cpu(); }

}  // namespace

c10::optional<at::Tensor> Float32Attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const c10::optional<at::Tensor>& mask, double dropoutP, bool causal) {
  if (!g_enabled || !Sgemm() || causal || at::autocast::is_cpu_enabled()) return c10::nullopt;
  if (!IsFloatCpu(q) || !IsFloatCpu(k) || !IsFloatCpu(v) || (mask.has_value() && !IsFloatCpu(*mask))) return c10::nullopt;
  const int64_t d = q.dim();
  if (d < 3 || k.dim() != d || v.dim() != d || q.size(-1) != k.size(-1) || k.size(-2) != v.size(-2)) return c10::nullopt;
  for (int64_t i = 0; i < d - 2; i++) if (k.size(i) != q.size(i) || v.size(i) != q.size(i)) return c10::nullopt;
  if (q.numel() == 0 || k.numel() == 0 || v.numel() == 0) return c10::nullopt;
  // libtorch 1.13's math kernel, step for step: q / sqrt(E), q k^T, += mask, softmax, dropout, · v
  at::Tensor query = q * (1. / std::sqrt(static_cast<double>(q.size(-1))));
  at::Tensor attn = DnnlBatchedProduct::apply(query, k.transpose(-2, -1));
  if (mask.has_value()) attn.add_(*mask);
  attn = at::softmax(attn, -1);
  if (dropoutP > 0.0) attn = at::dropout(attn, dropoutP, true);
  return DnnlBatchedProduct::apply(attn, v);
}

// While small low-precision products run on 1 thread (threadsForSmallProducts: a decoding step), a
// product at least g_wideMacs large (a language model's head: 576 x 49152 in SmolLM2-135M) runs on
// g_wideThreads: at batch 1 it is bound by memory, which two cores read faster than one. Only
// OpenMP's count changes, not libtorch's (at::set_num_threads would empty oneDNN's primitive cache).
namespace {
int g_wideThreads = 0;
double g_wideMacs = 0;
int64_t g_wideCalls = 0;
struct WideThreads {
  int before = 0;
  WideThreads(const at::Tensor& x, const at::Tensor& w) {
    const Omp& omp = OmpFns();
    if (g_wideThreads < 2 || !omp.set || w.dim() != 2 || x.dim() < 1 || x.size(-1) == 0) return;
    const double macs = static_cast<double>(x.numel() / x.size(-1)) * static_cast<double>(w.numel());
    if (macs < g_wideMacs || omp.get() >= g_wideThreads) return;
    before = omp.get();
    omp.set(g_wideThreads);
    g_wideCalls++;
  }
  ~WideThreads() { if (before) OmpFns().set(before); }
};

// bfloat16 Linear layers on one input row (a decoding step at batch 1) on oneDNN's bf16 gemm, which
// has a matrix-vector kernel reading the weight as it is stored. at::linear reaches oneDNN's matmul
// primitive, which first lays each weight out anew for its blocked kernel, every call: a
// SmolLM2-135M step's products took 20 ms that way and 10.4 with the gemm (measured here with the
// weights out of cache), where laying the weights out once would double the model's memory. The
// gemm adds in float32 (the bias too) and rounds the result to bfloat16 once, as at::linear does; the
// order of the additions differs, so about 1 output in 7,000 differs from at::linear's by one step.
// Inference only (no input needs a gradient); under autocast at::linear runs.
using GemmBf16Fn = int (*)(char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha, const void* A, int64_t lda,
                           const void* B, int64_t ldb, float beta, float* C, int64_t ldc);
GemmBf16Fn GemmBf16() {
  static GemmBf16Fn fn = reinterpret_cast<GemmBf16Fn>(LookupDnnl("dnnl_gemm_bf16bf16f32"));
  return fn;
}
bool g_bf16Linear = true;

// What both bf16 paths take: bf16 on the CPU, no gradient, no autocast, a weight [N, K] as stored
// or a transposed view of a stored [K, N] (GPT-2's Conv1D), and a bias only where at::linear adds it
// inside the product (one rounding: 2-d inputs and contiguous 3-d ones; after it otherwise).
bool Bf16Inference(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (!g_bf16Linear) return false;
  if (x.scalar_type() != at::kBFloat16 || w.scalar_type() != at::kBFloat16 || !x.device().is_cpu() || !w.device().is_cpu()) return false;
  if (w.dim() != 2 || x.dim() < 1 || x.numel() == 0 || x.size(-1) != w.size(1) || w.size(0) == 0 || w.size(1) == 0) return false;
  if (!(w.stride(1) == 1 && (w.size(0) == 1 || w.stride(0) >= w.size(1))) && !(w.stride(0) == 1 && w.stride(1) >= w.size(0))) return false;
  if (b.defined() && (b.scalar_type() != at::kBFloat16 || !b.device().is_cpu() || b.dim() != 1 || b.size(0) != w.size(0))) return false;
  if (b.defined() && !(x.dim() == 2 || (x.dim() == 3 && x.is_contiguous()))) return false;
  if (at::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() || (b.defined() && b.requires_grad()))) return false;
  if (at::autocast::is_cpu_enabled()) return false;
  return true;
}

at::Tensor Bf16Gemv(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  RECORD_FUNCTION("hubtune::onednn_bf16_gemv", std::vector<c10::IValue>({x, w}));
  const int64_t K = w.size(1), N = w.size(0);
  at::Tensor xc = x.contiguous();
  at::Tensor y = b.defined() ? b.to(at::kFloat) : at::empty({N}, x.options().dtype(at::kFloat));
  const bool stored = w.stride(1) == 1 && (N == 1 || w.stride(0) >= K);
  int st = GemmBf16()('N', stored ? 'T' : 'N', 1, N, K, 1.f, xc.data_ptr(), K, w.data_ptr(), stored ? (N > 1 ? w.stride(0) : K) : w.stride(1),
                      b.defined() ? 1.f : 0.f, y.data_ptr<float>(), N);
  if (st != 0) {  // a CPU without AVX-512, where oneDNN has no bf16 gemm: at::linear from now on
    g_bf16Linear = false;
    return at::linear(x, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt);
  }
  auto out = x.sizes().vec();
  out.back() = N;
  return y.to(at::kBFloat16).view(out);
}

// Several rows: oneDNN's matmul primitive called directly, the very kernel at::linear reaches (the
// same bits), without the ~20 us a call libtorch's wrapper adds on 1 thread and ~45 us on 2 (it
// hands oneDNN a fresh scratch buffer per call): a SmolLM2-135M forward's products at 48 rows took
// 47 / 41 ms instead of 50 / 46 on 1 / 2 threads, ViT-base's at 197 rows 101 ms instead of 112 on 2.
#ifdef HUBTUNE_DNNL
bool g_bf16MatmulBroken = false;
c10::optional<at::Tensor> Bf16Matmul(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  using dnnl::memory;
  if (g_bf16MatmulBroken) return c10::nullopt;
  RECORD_FUNCTION("hubtune::onednn_bf16_matmul", std::vector<c10::IValue>({x, w}));
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  const int64_t K = w.size(1), N = w.size(0);
  at::Tensor x2 = x.reshape({-1, K}).contiguous();
  const int64_t M = x2.size(0);
  at::Tensor bc = b.defined() ? b.contiguous() : b;
  at::Tensor y = at::empty({M, N}, x.options());
  try {
    const auto bf16 = memory::data_type::bf16;
    memory::desc sd({M, K}, bf16, memory::format_tag::ab), dd({M, N}, bf16, memory::format_tag::ab);
    memory::desc wd({K, N}, bf16, memory::dims{w.stride(1), w.stride(0)});
    memory::desc bd = bc.defined() ? memory::desc({1, N}, bf16, memory::format_tag::ab) : memory::desc();
    dnnl::matmul p(bc.defined() ? dnnl::matmul::primitive_desc(dnnl::matmul::desc(sd, wd, bd, dd), eng)
                                : dnnl::matmul::primitive_desc(dnnl::matmul::desc(sd, wd, dd), eng));
    memory sm(sd, eng, x2.data_ptr()), wm(wd, eng, w.data_ptr()), dm(dd, eng, y.data_ptr());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, sm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, dm}};
    if (bc.defined()) args.insert({DNNL_ARG_BIAS, memory(bd, eng, bc.data_ptr())});
    dnnl::stream st(eng);
    p.execute(st, args);
    st.wait();
  } catch (const dnnl::error&) {  // no bf16 matmul on this CPU: at::linear from now on
    g_bf16MatmulBroken = true;
    return c10::nullopt;
  }
  auto out = x.sizes().vec();
  out.back() = N;
  return y.view(out);
}
#endif
}  // namespace

at::Tensor Linear(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) {
  WideThreads wide(x, w);
  at::Tensor bias = b.has_value() ? *b : at::Tensor();
  if (Bf16Inference(x, w, bias)) {
    if (x.numel() == x.size(-1) && GemmBf16()) return Bf16Gemv(x, w, bias);
#ifdef HUBTUNE_DNNL
    if (auto y = Bf16Matmul(x, w, bias)) return *y;
#endif
  }
  if (!UseDnnl(x, w, bias)) return at::linear(x, w, b);
  if (!bias.defined()) return DnnlLinear::apply(x, w, at::empty({0}, w.options()), false);
  return DnnlLinear::apply(x, w, bias, true);
}

namespace {
// setFloat32Gemm('onednn' | 'blas') -> the previous choice; float32Gemm() -> the current one
// ('blas' also where oneDNN's sgemm is not found).
Napi::Value SetFloat32Gemm(const Napi::CallbackInfo& info) {
  HT_TRY
  std::string prev = g_enabled && Sgemm() ? "onednn" : "blas";
  std::string v = info[0].As<Napi::String>().Utf8Value();
  if (v != "onednn" && v != "blas") ThrowJs(info.Env(), "float32 GEMM backend must be 'onednn' or 'blas', got '" + v + "'");
  g_enabled = v == "onednn";
  return Napi::String::New(info.Env(), prev);
  HT_CATCH
}
// setFloat32GemmThreads(n): threads of the float32 sgemm (0: libtorch's intra-op setting)
Napi::Value SetFloat32GemmThreads(const Napi::CallbackInfo& info) {
  g_threads = std::max(0, info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}
Napi::Value Float32Gemm(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), g_enabled && Sgemm() ? "onednn" : "blas");
}
}  // namespace

namespace {
// setWideProducts(threads, macs): products of at least `macs` multiply-adds run on `threads` (0: off);
// wideProducts() -> { threads, macs, calls } (calls: how many products were widened so far)
Napi::Value SetWideProducts(const Napi::CallbackInfo& info) {
  g_wideThreads = std::max(0, info[0].As<Napi::Number>().Int32Value());
  g_wideMacs = info[1].As<Napi::Number>().DoubleValue();
  return info.Env().Undefined();
}
Napi::Value WideProducts(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  o.Set("threads", g_wideThreads);
  o.Set("macs", g_wideMacs);
  o.Set("calls", static_cast<double>(g_wideCalls));
  return o;
}
}  // namespace

namespace {
// setBf16Linear(on) -> the previous setting: bfloat16 inference Linear layers on oneDNN directly (its
// gemv for one row, its matmul primitive for more; false: at::linear, for comparisons).
// bf16Linear() -> { gemv, matmul }: which of the two is on and available.
#ifdef HUBTUNE_DNNL
constexpr bool kDnnlBuilt = true;
#else
constexpr bool kDnnlBuilt = false;
#endif
Napi::Value SetBf16Linear(const Napi::CallbackInfo& info) {
  bool prev = g_bf16Linear;
  g_bf16Linear = info[0].As<Napi::Boolean>().Value();
  return Napi::Boolean::New(info.Env(), prev);
}
Napi::Value Bf16LinearOn(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  o.Set("gemv", g_bf16Linear && GemmBf16() != nullptr);
  bool broken = false;
#ifdef HUBTUNE_DNNL
  broken = g_bf16MatmulBroken;
#endif
  o.Set("matmul", g_bf16Linear && kDnnlBuilt && !broken);
  return o;
}
}  // namespace

void RegisterDnnlGemm(Napi::Env env, Napi::Object exports) {
  HT_EXPORT(exports, "setBf16Linear", SetBf16Linear);
  HT_EXPORT(exports, "bf16Linear", Bf16LinearOn);
  HT_EXPORT(exports, "setWideProducts", SetWideProducts);
  HT_EXPORT(exports, "wideProducts", WideProducts);
  HT_EXPORT(exports, "setFloat32Gemm", SetFloat32Gemm);
  HT_EXPORT(exports, "float32Gemm", Float32Gemm);
  HT_EXPORT(exports, "setFloat32GemmThreads", SetFloat32GemmThreads);
}

}  // namespace hubtune
