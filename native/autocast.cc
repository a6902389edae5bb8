// torch.autocast for JavaScript: enter/exit a scope on ATen's own autocast (the AutocastCPU /
// AutocastCUDA dispatch keys and PyTorch's op lists), so every ATen op the engine calls is cast
// the way PyTorch casts it. The scope object lives in JS (src/torch/amp/autocast.ts).
#include "common.h"
#include "autocast.h"
#include <ATen/Context.h>

namespace hubtune {
namespace {

// autocastEnter(deviceType 'cpu'|'cuda', enabled, dtypeCode, cacheEnabled) -> previous state
// [cpuEnabled, gpuEnabled, cacheEnabled, cpuDtype, gpuDtype] to give back to autocastExit.
Napi::Value AutocastEnter(const Napi::CallbackInfo& info) {
  HT_TRY
  Napi::Env env = info.Env();
  std::string device = info[0].As<Napi::String>().Utf8Value();
  bool enabled = B(info[1]);
  at::ScalarType dtype = DT(info[2]);
  bool cache = B(info[3]);
  AutocastState prev = AutocastState::Current();
  AutocastState next = prev;
  if (device == "cpu") { next.cpuEnabled = enabled; next.cpuDtype = dtype; }
  else if (device == "cuda") { next.gpuEnabled = enabled; next.gpuDtype = dtype; }
  else ThrowJs(env, "autocast device type must be 'cpu' or 'cuda', got '" + device + "'");
  next.cacheEnabled = cache;
  next.Apply();
  at::autocast::increment_nesting();
  auto out = Napi::Array::New(env, 5);
  out.Set(0u, prev.cpuEnabled);
  out.Set(1u, prev.gpuEnabled);
  out.Set(2u, prev.cacheEnabled);
  out.Set(3u, DTCode(prev.cpuDtype));
  out.Set(4u, DTCode(prev.gpuDtype));
  return out;
  HT_CATCH
}

Napi::Value AutocastExit(const Napi::CallbackInfo& info) {
  HT_TRY
  auto arr = info[0].As<Napi::Array>();
  AutocastState prev;
  prev.cpuEnabled = B(arr.Get(0u));
  prev.gpuEnabled = B(arr.Get(1u));
  prev.cacheEnabled = B(arr.Get(2u));
  prev.cpuDtype = DT(arr.Get(3u));
  prev.gpuDtype = DT(arr.Get(4u));
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  prev.Apply();
  return info.Env().Undefined();
  HT_CATCH
}

// autocastState() -> {cpu, cuda, cpuDtype, cudaDtype, cache}
Napi::Value AutocastStateJs(const Napi::CallbackInfo& info) {
  HT_TRY
  Napi::Env env = info.Env();
  auto s = AutocastState::Current();
  auto o = Napi::Object::New(env);
  o.Set("cpu", s.cpuEnabled);
  o.Set("cuda", s.gpuEnabled);
  o.Set("cache", s.cacheEnabled);
  o.Set("cpuDtype", DTCode(s.cpuDtype));
  o.Set("cudaDtype", DTCode(s.gpuDtype));
  return o;
  HT_CATCH
}

// setAllowTf32(on): torch.backends.cuda.matmul.allow_tf32 (TF32 matrix products on Ampere+ GPUs).
Napi::Value SetAllowTf32(const Napi::CallbackInfo& info) {
  HT_TRY
  at::globalContext().setAllowTF32CuBLAS(B(info[0]));
  return info.Env().Undefined();
  HT_CATCH
}
Napi::Value GetAllowTf32(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::globalContext().allowTF32CuBLAS());
}

}  // namespace

void RegisterAutocast(Napi::Env env, Napi::Object exports) {
  HT_EXPORT(exports, "autocastEnter", AutocastEnter);
  HT_EXPORT(exports, "autocastExit", AutocastExit);
  HT_EXPORT(exports, "autocastState", AutocastStateJs);
  HT_EXPORT(exports, "setAllowTf32", SetAllowTf32);
  HT_EXPORT(exports, "getAllowTf32", GetAllowTf32);
}

}  // namespace hubtune
