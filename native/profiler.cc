// An op profiler in the spirit of torch.profiler's key_averages(): a global RecordFunction callback
// (the hook PyTorch's own profiler uses) counts every ATen op and autograd node the engine runs
// between profilerStart() and profilerStop(), with total and self (children excluded) CPU time per
// name (with withInputs, per name and input dtypes and shapes), so a hubtune training step can be compared op by op with the same step in PyTorch.
#include "common.h"
#include <ATen/record_function.h>
#include <cctype>
#include <chrono>
#include <mutex>
#include <unordered_map>

namespace hubtune {
namespace {

struct Stat { int64_t count = 0; int64_t totalNs = 0; int64_t selfNs = 0; };
struct Frame : at::ObserverContext { int64_t t0 = 0; int64_t childNs = 0; Frame* parent = nullptr; std::string inputs; };

std::mutex g_mu;
std::unordered_map<std::string, Stat> g_stats;
bool g_active = false;
bool g_withInputs = false;
at::CallbackHandle g_handle = 0;
thread_local Frame* t_top = nullptr;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// " float[8, 128]; bfloat16[768]": the dtype and shape of each tensor input (group_by_input_shape).
// Ranges opened without their inputs (some of ATen's own) report none.
std::string DescribeInputs(const at::RecordFunction& fn) {
  std::string out;
  c10::ArrayRef<const c10::IValue> inputs;
  try {
    inputs = fn.inputs();
  } catch (const c10::Error&) {
    return out;
  }
  for (const auto& v : inputs) {
    if (!v.isTensor()) continue;
    const auto& t = v.toTensor();
    out += out.empty() ? " " : "; ";
    if (!t.defined()) { out += "undefined"; continue; }
    std::string dt = c10::toString(t.scalar_type());
    for (auto& ch : dt) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out += dt + "[";
    for (int64_t d = 0; d < t.dim(); d++) out += (d ? ", " : "") + std::to_string(t.size(d));
    out += "]";
  }
  return out;
}

std::unique_ptr<at::ObserverContext> OnEnter(const at::RecordFunction& fn) {
  auto f = std::make_unique<Frame>();
  if (g_withInputs) f->inputs = DescribeInputs(fn);
  f->parent = t_top;
  t_top = f.get();
  f->t0 = NowNs();
  return f;
}

void OnExit(const at::RecordFunction& fn, at::ObserverContext* ctx) {
  int64_t t1 = NowNs();
  auto* f = static_cast<Frame*>(ctx);
  if (!f) return;
  int64_t dur = t1 - f->t0;
  if (t_top == f) t_top = f->parent;
  if (f->parent) f->parent->childNs += dur;
  std::lock_guard<std::mutex> lock(g_mu);
  Stat& s = g_stats[f->inputs.empty() ? std::string(fn.name()) : std::string(fn.name()) + f->inputs];
  s.count += 1;
  s.totalNs += dur;
  s.selfNs += dur - f->childNs;
}

Napi::Value ProfilerStart(const Napi::CallbackInfo& info) {
  HT_TRY
  if (g_active) ThrowJs(info.Env(), "profileOps: a profile is already running (profiles do not nest)");
  { std::lock_guard<std::mutex> lock(g_mu); g_stats.clear(); }
  g_withInputs = Has(info, 0) && B(info[0]);
  g_handle = at::addGlobalCallback(at::RecordFunctionCallback(OnEnter, OnExit)
      .needsInputs(g_withInputs)
      .scopes({at::RecordScope::FUNCTION, at::RecordScope::BACKWARD_FUNCTION}));
  g_active = true;
  return info.Env().Undefined();
  HT_CATCH
}

// profilerStop() -> [[name, count, totalUs, selfUs], ...]
Napi::Value ProfilerStop(const Napi::CallbackInfo& info) {
  HT_TRY
  Napi::Env env = info.Env();
  if (g_active) { at::removeCallback(g_handle); g_active = false; }
  std::lock_guard<std::mutex> lock(g_mu);
  auto out = Napi::Array::New(env, g_stats.size());
  uint32_t i = 0;
  for (const auto& [name, s] : g_stats) {
    auto row = Napi::Array::New(env, 4);
    row.Set(0u, name);
    row.Set(1u, static_cast<double>(s.count));
    row.Set(2u, s.totalNs / 1000.0);
    row.Set(3u, s.selfNs / 1000.0);
    out.Set(i++, row);
  }
  g_stats.clear();
  return out;
  HT_CATCH
}

}  // namespace

void RegisterProfiler(Napi::Env env, Napi::Object exports) {
  HT_EXPORT(exports, "profilerStart", ProfilerStart);
  HT_EXPORT(exports, "profilerStop", ProfilerStop);
}

}  // namespace hubtune
