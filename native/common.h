// Shared pieces of the hubtune addon: the tensor wrapper and argument helpers. The exception
// boundary (every libtorch exception becomes a JS Error, never an abort) is in boundary.h.
#pragma once
#include <napi.h>
#include "boundary.h"
#include <ATen/ATen.h>
#include <torch/version.h>
#include <atomic>
#include <string>
#include <vector>

namespace hubtune {

struct InstanceData {
  Napi::FunctionReference generatorCtor;
};

extern std::atomic<int64_t> g_liveTensors;

// A tensor handle is a Napi::External over a heap Holder: cheaper to create than an ObjectWrap
// instance (no JS constructor call), which is most of the per-op cost from JS.
struct Holder {
  at::Tensor t;
  int64_t accounted = 0;
};

struct TensorWrap {
  static Napi::Value Wrap(Napi::Env env, at::Tensor t);
  static void Release(Napi::Env env, Holder* h);
  static Holder* Get(const Napi::Value& v);
};

class GeneratorWrap : public Napi::ObjectWrap<GeneratorWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit GeneratorWrap(const Napi::CallbackInfo& info);
  at::Generator gen;
 private:
  Napi::Value ManualSeed(const Napi::CallbackInfo& info);
  Napi::Value InitialSeed(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value SetState(const Napi::CallbackInfo& info);
};

// ---- argument helpers -------------------------------------------------------
at::Tensor& T(const Napi::Value& v);
c10::optional<at::Tensor> OptT(const Napi::Value& v);
std::vector<at::Tensor> TList(const Napi::Value& v);
std::vector<int64_t> IL(const Napi::Value& v);
at::ScalarType DT(const Napi::Value& v);
int DTCode(at::ScalarType s);
at::Device Dev(const Napi::Value& v);
c10::optional<at::Generator> Gen(const Napi::Value& v);
inline double D(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }
inline int64_t I(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
inline bool B(const Napi::Value& v) { return v.ToBoolean().Value(); }
inline bool Has(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i && !info[i].IsUndefined() && !info[i].IsNull(); }
Napi::Array ToArray(Napi::Env env, const std::vector<at::Tensor>& ts);
Napi::Array ToIntArray(Napi::Env env, at::IntArrayRef xs);

/** Registers an exported function behind the exception boundary (boundary.h). */
#define HT_EXPORT(exports, name, fn) (exports).Set(name, Napi::Function::New(env, ::hubtune::Guarded<fn>))

void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterVisionOps(Napi::Env env, Napi::Object exports);
void RegisterAutocast(Napi::Env env, Napi::Object exports);
void RegisterCheckpoint(Napi::Env env, Napi::Object exports);
void RegisterQuantized(Napi::Env env, Napi::Object exports);
void RegisterProfiler(Napi::Env env, Napi::Object exports);
void RegisterFusedOptim(Napi::Env env, Napi::Object exports);
void RegisterDnnlGemm(Napi::Env env, Napi::Object exports);
// at::linear, on oneDNN's sgemm for float32 CPU tensors outside autocast (dnnl_gemm.cc).
at::Tensor Linear(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b);
// A function of the oneDNN that libtorch loaded (dnnl_sgemm, dnnl_gemm_u8s8s32, ...), or nullptr.
void* LookupDnnl(const char* symbol);
// libtorch 1.13's composed attention with its two products on oneDNN's sgemm, for float32 CPU tensors
// outside autocast (dnnl_gemm.cc); nullopt where that does not apply (the caller runs ATen's kernel).
c10::optional<at::Tensor> Float32Attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const c10::optional<at::Tensor>& mask, double dropoutP, bool causal);
void InstallAllocator();
int64_t AllocatorLiveBytes();
int64_t AllocatorPeakBytes();
void AllocatorResetPeak();
int64_t AllocatorCount();
/** Most bytes all tensors together may hold (HUBTUNE_MAX_TENSOR_BYTES, default RAM + swap); 0: no limit. */
int64_t AllocatorLimitBytes();
void SetAllocatorLimitBytes(int64_t bytes);

}  // namespace hubtune
