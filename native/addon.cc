// Module entry: the Tensor and Generator wrappers, argument helpers, threads, memory stats.
#include "common.h"
#include "distributed.h"
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <ATen/Context.h>
#include <dlfcn.h>
#include <sstream>

namespace hubtune {

std::atomic<int64_t> g_liveTensors{0};


// ---- Tensor handles ---------------------------------------------------------
static const napi_type_tag kTensorTag = {0x6875627475e6e651ULL, 0x74656e736f72ab01ULL};

static int64_t Footprint(const at::Tensor& t) {
  if (!t.defined() || t.device().type() != at::kCPU) return 0;
  return static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size());
}
// Tensors of at least this many bytes are reported to V8 (the GC safety net behind dispose()).
constexpr int64_t kAccountMin = 4096;

static void Finalize(Napi::Env env, Holder* h) {
  if (h->t.defined()) {
    h->t.reset();
    g_liveTensors -= 1;
    if (h->accounted > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -h->accounted);
  }
  delete h;
}

Napi::Value TensorWrap::Wrap(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  auto* h = new Holder{std::move(t), 0};
  int64_t bytes = Footprint(h->t);
  if (bytes >= kAccountMin) {
    h->accounted = bytes;
    Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  }
  g_liveTensors += 1;
  auto ext = Napi::External<Holder>::New(env, h, Finalize);
  napi_type_tag_object(env, ext, &kTensorTag);
  return ext;
}

void TensorWrap::Release(Napi::Env env, Holder* h) {
  if (!h->t.defined()) return;
  h->t.reset();
  g_liveTensors -= 1;
  if (h->accounted > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -h->accounted);
  h->accounted = 0;
}

Holder* TensorWrap::Get(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "expected a Tensor");
  bool ok = false;
  napi_check_object_type_tag(v.Env(), v, &kTensorTag, &ok);
  if (!ok) throw Napi::TypeError::New(v.Env(), "expected a Tensor");
  return v.As<Napi::External<Holder>>().Data();
}

static Napi::Value DisposeTensor(const Napi::CallbackInfo& info) {
  TensorWrap::Release(info.Env(), TensorWrap::Get(info[0]));
  return info.Env().Undefined();
}
static Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !TensorWrap::Get(info[0])->t.defined());
}

// ---- Generator wrapper -----------------------------------------------------
Napi::Function GeneratorWrap::Init(Napi::Env env) {
  return DefineClass(env, "NativeGenerator", {
    InstanceMethod("manualSeed", &GeneratorWrap::ManualSeed),
    InstanceMethod("initialSeed", &GeneratorWrap::InitialSeed),
    InstanceMethod("getState", &GeneratorWrap::GetState),
    InstanceMethod("setState", &GeneratorWrap::SetState),
  });
}
GeneratorWrap::GeneratorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GeneratorWrap>(info) {
  HT_TRY
  uint64_t seed = info.Length() > 0 && info[0].IsNumber() ? static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()) : 67280421310721ULL;
  gen = at::detail::createCPUGenerator(seed);
  HT_CATCH
}
Napi::Value GeneratorWrap::ManualSeed(const Napi::CallbackInfo& info) {
  HT_TRY
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(static_cast<uint64_t>(I(info[0])));
  return info.Env().Undefined();
  HT_CATCH
}
Napi::Value GeneratorWrap::InitialSeed(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(gen.current_seed()));
}
static Napi::Value StateToBuffer(Napi::Env env, const at::Tensor& st) {
  auto buf = Napi::Buffer<uint8_t>::Copy(env, st.data_ptr<uint8_t>(), st.numel());
  return buf;
}
static void StateFromBuffer(at::Generator& g, const Napi::Value& v) {
  auto buf = v.As<Napi::Buffer<uint8_t>>();
  auto st = at::empty({static_cast<int64_t>(buf.Length())}, at::kByte);
  std::memcpy(st.data_ptr<uint8_t>(), buf.Data(), buf.Length());
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(st);
}
Napi::Value GeneratorWrap::GetState(const Napi::CallbackInfo& info) {
  HT_TRY
  std::lock_guard<std::mutex> lock(gen.mutex());
  return StateToBuffer(info.Env(), gen.get_state());
  HT_CATCH
}
Napi::Value GeneratorWrap::SetState(const Napi::CallbackInfo& info) {
  HT_TRY
  StateFromBuffer(gen, info[0]);
  return info.Env().Undefined();
  HT_CATCH
}

// ---- argument helpers -------------------------------------------------------
at::Tensor& T(const Napi::Value& v) {
  Holder* h = TensorWrap::Get(v);
  if (!h->t.defined()) throw Napi::Error::New(v.Env(), "tensor was disposed");
  return h->t;
}
c10::optional<at::Tensor> OptT(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return c10::nullopt;
  return T(v);
}
std::vector<at::Tensor> TList(const Napi::Value& v) {
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(T(arr.Get(i)));
  return out;
}
std::vector<int64_t> IL(const Napi::Value& v) {
  std::vector<int64_t> out;
  if (v.IsNumber()) { out.push_back(I(v)); return out; }
  auto arr = v.As<Napi::Array>();
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(arr.Get(i).As<Napi::Number>().Int64Value());
  return out;
}
// dtype codes shared with src/torch/dtype.ts
static const at::ScalarType kTypes[] = {at::kFloat, at::kHalf, at::kBFloat16, at::kLong, at::kInt,
                                        at::kBool, at::kByte, at::kDouble, at::kChar, at::kShort};
at::ScalarType DT(const Napi::Value& v) {
  int64_t c = I(v);
  if (c < 0 || c >= 10) throw Napi::TypeError::New(v.Env(), "unknown dtype code");
  return kTypes[c];
}
int DTCode(at::ScalarType s) {
  for (int i = 0; i < 10; i++) if (kTypes[i] == s) return i;
  return -1;
}
at::Device Dev(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return at::Device(at::kCPU);
  std::string s = v.As<Napi::String>().Utf8Value();
  at::Device d(s);
  if (d.is_cuda() && !at::hasCUDA()) {
    throw Napi::Error::New(v.Env(), "CUDA is not available: this libtorch was built without CUDA or no GPU is visible (point LIBTORCH or LIBTORCH_USE_PYTORCH=1 at a CUDA build)");
  }
  return d;
}
c10::optional<at::Generator> Gen(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return c10::nullopt;
  return GeneratorWrap::Unwrap(v.As<Napi::Object>())->gen;
}
Napi::Array ToArray(Napi::Env env, const std::vector<at::Tensor>& ts) {
  auto arr = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); i++) arr.Set(i, TensorWrap::Wrap(env, ts[i]));
  return arr;
}
Napi::Array ToIntArray(Napi::Env env, at::IntArrayRef xs) {
  auto arr = Napi::Array::New(env, xs.size());
  for (size_t i = 0; i < xs.size(); i++) arr.Set(i, Napi::Number::New(env, static_cast<double>(xs[i])));
  return arr;
}

// ---- threads, BLAS, memory, seeds ---------------------------------------------
using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();
using GetConfigFn = char* (*)();

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  HT_TRY
  // at::set_num_threads empties oneDNN's primitive cache even when the count is unchanged, so
  // asking again for the same count (pipelines, the Trainer, each bench run) must not reach it
  int threads = static_cast<int>(I(info[0]));
  if (threads != at::get_num_threads()) at::set_num_threads(threads);
  return info.Env().Undefined();
  HT_CATCH
}
static Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}
static Napi::Value SetBlasThreads(const Napi::CallbackInfo& info) {
  auto fn = reinterpret_cast<SetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (fn) fn(static_cast<int>(I(info[0])));
  return Napi::Boolean::New(info.Env(), fn != nullptr);
}
static Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  auto cfg = reinterpret_cast<GetConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  auto get = reinterpret_cast<GetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  bool mkl = dlsym(RTLD_DEFAULT, "mkl_get_max_threads") != nullptr;
  o.Set("vendor", cfg ? "openblas" : (mkl ? "mkl" : "unknown"));
  o.Set("config", cfg ? std::string(cfg()) : std::string(""));
  o.Set("threads", get ? get() : -1);
  return o;
}
static Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("torch", TORCH_VERSION);
  o.Set("major", TORCH_VERSION_MAJOR);
  o.Set("minor", TORCH_VERSION_MINOR);
  o.Set("cuda", at::hasCUDA());
  o.Set("config", at::show_config());
  return o;
}
static Napi::Value CudaAvailable(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), at::hasCUDA()); }
static Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  HT_TRY
  return Napi::Number::New(info.Env(), at::hasCUDA() ? static_cast<double>(at::detail::getCUDAHooks().getNumGPUs()) : 0);
  HT_CATCH
}
static Napi::Value MemoryStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("liveTensors", static_cast<double>(g_liveTensors.load()));
  o.Set("allocatedBytes", static_cast<double>(AllocatorLiveBytes()));
  o.Set("peakAllocatedBytes", static_cast<double>(AllocatorPeakBytes()));
  o.Set("allocations", static_cast<double>(AllocatorCount()));
  o.Set("limitBytes", static_cast<double>(AllocatorLimitBytes()));
  return o;
}
static Napi::Value SetMemoryLimit(const Napi::CallbackInfo& info) {
  int64_t prev = AllocatorLimitBytes();
  SetAllocatorLimitBytes(static_cast<int64_t>(D(info[0])));
  return Napi::Number::New(info.Env(), static_cast<double>(prev));
}
static Napi::Value ResetPeak(const Napi::CallbackInfo& info) { AllocatorResetPeak(); return info.Env().Undefined(); }
static Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  HT_TRY
  uint64_t seed = static_cast<uint64_t>(I(info[0]));
  {
    auto g = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(seed);
  }
  if (at::hasCUDA()) {
    for (int64_t i = 0; i < at::detail::getCUDAHooks().getNumGPUs(); i++) {
      auto g = at::detail::getCUDAHooks().getDefaultCUDAGenerator(i);
      std::lock_guard<std::mutex> lock(g.mutex());
      g.set_current_seed(seed);
    }
  }
  return info.Env().Undefined();
  HT_CATCH
}
static Napi::Value GetRngState(const Napi::CallbackInfo& info) {
  HT_TRY
  auto g = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(g.mutex());
  return StateToBuffer(info.Env(), g.get_state());
  HT_CATCH
}
static Napi::Value SetRngState(const Napi::CallbackInfo& info) {
  HT_TRY
  auto g = at::detail::getDefaultCPUGenerator();
  StateFromBuffer(g, info[0]);
  return info.Env().Undefined();
  HT_CATCH
}
static Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool prev = at::GradMode::is_enabled();
  at::GradMode::set_enabled(B(info[0]));
  return Napi::Boolean::New(info.Env(), prev);
}
static Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}
static Napi::Value IsTensor(const Napi::CallbackInfo& info) {
  bool ok = false;
  if (info[0].IsExternal()) napi_check_object_type_tag(info.Env(), info[0], &kTensorTag, &ok);
  return Napi::Boolean::New(info.Env(), ok);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  static bool once = false;
  if (!once) {
    once = true;
    InstallAllocator();
  }
  auto* data = new InstanceData();
  Napi::Function genCtor = GeneratorWrap::Init(env);
  data->generatorCtor = Napi::Persistent(genCtor);
  env.SetInstanceData<InstanceData>(data);
  HT_EXPORT(exports, "dispose", DisposeTensor);
  HT_EXPORT(exports, "isDisposed", IsDisposed);
  exports.Set("Generator", genCtor);
  HT_EXPORT(exports, "setNumThreads", SetNumThreads);
  HT_EXPORT(exports, "getNumThreads", GetNumThreads);
  HT_EXPORT(exports, "setBlasThreads", SetBlasThreads);
  HT_EXPORT(exports, "blasInfo", BlasInfo);
  HT_EXPORT(exports, "versions", Versions);
  HT_EXPORT(exports, "cudaAvailable", CudaAvailable);
  HT_EXPORT(exports, "cudaDeviceCount", CudaDeviceCount);
  HT_EXPORT(exports, "memoryStats", MemoryStats);
  HT_EXPORT(exports, "resetPeakMemory", ResetPeak);
  HT_EXPORT(exports, "setMemoryLimit", SetMemoryLimit);
  HT_EXPORT(exports, "manualSeed", ManualSeed);
  HT_EXPORT(exports, "getRngState", GetRngState);
  HT_EXPORT(exports, "setRngState", SetRngState);
  HT_EXPORT(exports, "setGradEnabled", SetGradEnabled);
  HT_EXPORT(exports, "isGradEnabled", IsGradEnabled);
  HT_EXPORT(exports, "isTensor", IsTensor);
  RegisterOps(env, exports);
  RegisterVisionOps(env, exports);
  RegisterAutocast(env, exports);
  RegisterCheckpoint(env, exports);
  RegisterQuantized(env, exports);
  RegisterProfiler(env, exports);
  RegisterFusedOptim(env, exports);
  RegisterDnnlGemm(env, exports);
  RegisterDistributed(env, exports);
  RegisterDdp(env, exports);
  return exports;
}

}  // namespace hubtune

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return hubtune::Init(env, exports); }
NODE_API_MODULE(hubtune_native, InitAddon)
