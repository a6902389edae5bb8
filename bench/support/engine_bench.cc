// Direct-libtorch reference for bench/engine.ts: the same measurements as the hubtune side, in C++
// with no binding in between. Compiled on the fly by bench/engine.ts (g++ against the libtorch
// that hubtune builds with, flags from scripts/libtorch-config.mjs) and cached by content hash.
//
//   engine_bench <blasThreads> <intraOpThreads> <sections...>
//   sections: sgemm | add | encoder-fused | encoder-composed
//   env: BENCH_ENCODER_REPS (5), BENCH_ENCODER_WARMUP (2)
//
// Prints one JSON object on stdout. Uses libtorch's default CPU allocator (like python3-torch).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <torch/version.h>
#include <dlfcn.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

using Clock = std::chrono::steady_clock;
static double nowMs() { return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count(); }
static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? NAN : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}
static std::string arr(const std::vector<double>& v) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < v.size(); i++) o << (i ? "," : "") << v[i];
  o << "]";
  return o.str();
}
static int envInt(const char* name, int dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : dflt;
}

// ---- SGEMM: at::mm on float32 randn, GFLOP/s = 2 n^3 / t ------------------------------------
static std::string sgemm() {
  std::ostringstream o;
  o << "{";
  const int sizes[] = {1024, 2048};
  for (int si = 0; si < 2; si++) {
    int n = sizes[si];
    auto a = at::randn({n, n}), b = at::randn({n, n});
    int reps = n <= 1024 ? 8 : 4;
    { auto w = at::mm(a, b); }
    std::vector<double> g;
    for (int r = 0; r < reps; r++) {
      double t0 = nowMs();
      auto c = at::mm(a, b);
      double dt = (nowMs() - t0) / 1000.0;
      g.push_back(2.0 * n * n * (double)n / dt / 1e9);
    }
    o << (si ? "," : "") << "\"" << n << "\":{\"gflops\":" << median(g) << ",\"samples\":" << arr(g) << "}";
  }
  o << "}";
  return o.str();
}

// ---- per-op overhead: 1-element at::add, median over batches --------------------------------
static std::string addOverhead() {
  auto run = [](bool grad) {
    auto a = at::randn({1}), b = at::randn({1});
    if (grad) a.set_requires_grad(true);
    const int batch = 1000, batches = 200;
    for (int i = 0; i < 5000; i++) { auto c = at::add(a, b); }
    std::vector<double> us;
    for (int k = 0; k < batches; k++) {
      double t0 = nowMs();
      for (int i = 0; i < batch; i++) { auto c = at::add(a, b); }
      us.push_back((nowMs() - t0) * 1000.0 / batch);
    }
    return median(us);
  };
  std::ostringstream o;
  o << "{\"us\":" << run(false) << ",\"usRequiresGrad\":" << run(true) << "}";
  return o.str();
}

// ---- BERT-base-size encoder layer (post-LN), forward + backward -----------------------------
struct Layer {
  at::Tensor wq, bq, wk, bk, wv, bv, wo, bo, g1, b1, wi, bi, wo2, bo2, g2, b2;
  std::vector<at::Tensor*> all() { return {&wq, &bq, &wk, &bk, &wv, &bv, &wo, &bo, &g1, &b1, &wi, &bi, &wo2, &bo2, &g2, &b2}; }
};
static at::Tensor param(at::IntArrayRef shape, double std) {
  auto t = at::randn(shape) * std;
  t.set_requires_grad(true);
  return t;
}
static std::string encoder(bool fused) {
  const int64_t B = 8, L = 128, Hd = 768, H = 12, D = 64, I = 3072;
  const double eps = 1e-12;
  Layer p;
  p.wq = param({Hd, Hd}, 0.02); p.bq = param({Hd}, 0.02);
  p.wk = param({Hd, Hd}, 0.02); p.bk = param({Hd}, 0.02);
  p.wv = param({Hd, Hd}, 0.02); p.bv = param({Hd}, 0.02);
  p.wo = param({Hd, Hd}, 0.02); p.bo = param({Hd}, 0.02);
  p.g1 = at::ones({Hd}); p.g1.set_requires_grad(true); p.b1 = at::zeros({Hd}); p.b1.set_requires_grad(true);
  p.wi = param({I, Hd}, 0.02); p.bi = param({I}, 0.02);
  p.wo2 = param({Hd, I}, 0.02); p.bo2 = param({Hd}, 0.02);
  p.g2 = at::ones({Hd}); p.g2.set_requires_grad(true); p.b2 = at::zeros({Hd}); p.b2.set_requires_grad(true);
  auto x = at::randn({B, L, Hd});
  x.set_requires_grad(true);

  auto heads = [&](const at::Tensor& t) { return t.view({B, L, H, D}).transpose(1, 2); };
  auto forward = [&]() {
    auto q = heads(at::linear(x, p.wq, p.bq));
    auto k = heads(at::linear(x, p.wk, p.bk));
    auto v = heads(at::linear(x, p.wv, p.bv));
    at::Tensor ctx;
    if (fused) {
      ctx = std::get<0>(at::_scaled_dot_product_attention(q, k, v, c10::nullopt, 0.0, false, false));
    } else {
      auto scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt((double)D);
      ctx = at::matmul(at::softmax(scores, -1), v);
    }
    ctx = ctx.transpose(1, 2).reshape({B, L, Hd});
    auto h = at::layer_norm(at::linear(ctx, p.wo, p.bo) + x, {Hd}, p.g1, p.b1, eps);
    auto inter = at::gelu(at::linear(h, p.wi, p.bi));
    auto y = at::layer_norm(at::linear(inter, p.wo2, p.bo2) + h, {Hd}, p.g2, p.b2, eps);
    return y.sum();
  };
  int warm = envInt("BENCH_ENCODER_WARMUP", 2), reps = envInt("BENCH_ENCODER_REPS", 5);
  std::vector<double> tot, fwd, bwd;
  for (int r = 0; r < warm + reps; r++) {
    for (auto* t : p.all()) t->mutable_grad().reset();
    x.mutable_grad().reset();
    double t0 = nowMs();
    auto loss = forward();
    double t1 = nowMs();
    loss.backward();
    double t2 = nowMs();
    if (r >= warm) { tot.push_back(t2 - t0); fwd.push_back(t1 - t0); bwd.push_back(t2 - t1); }
  }
  std::ostringstream o;
  o << "{\"ms\":" << median(tot) << ",\"forwardMs\":" << median(fwd) << ",\"backwardMs\":" << median(bwd) << ",\"samples\":" << arr(tot) << "}";
  return o.str();
}

int main(int argc, char** argv) {
  if (argc < 3) { std::fprintf(stderr, "usage: engine_bench <blasThreads> <intraOpThreads> <sgemm|add|encoder-fused|encoder-composed>...\n"); return 2; }
  int blas = std::atoi(argv[1]), intra = std::atoi(argv[2]);
  at::set_num_threads(intra);
  using SetFn = void (*)(int);
  using GetFn = int (*)();
  auto set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  auto get = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (set) set(blas);
  at::manual_seed(0);
  std::ostringstream o;
  o << "{\"torch\":\"" << TORCH_VERSION << "\",\"threads\":{\"intraOp\":" << at::get_num_threads() << ",\"blas\":" << (get ? get() : -1) << "}";
  for (int i = 3; i < argc; i++) {
    std::string s = argv[i];
    if (s == "sgemm") o << ",\"sgemm\":" << sgemm();
    else if (s == "add") o << ",\"add\":" << addOverhead();
    else if (s == "encoder-fused") o << ",\"encoderFused\":" << encoder(true);
    else if (s == "encoder-composed") o << ",\"encoderComposed\":" << encoder(false);
    else { std::fprintf(stderr, "unknown section '%s'\n", s.c_str()); return 2; }
  }
  o << "}";
  std::printf("%s\n", o.str().c_str());
  return 0;
}
