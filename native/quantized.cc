// Dynamic int8 quantization of linear layers on libtorch's quantized CPU kernels (what
// torch.ao.quantization.quantize_dynamic runs): int8 weights quantized per output channel
// (symmetric, zero point 0), activations quantized per batch at run time, float32 in and out.
// Debian's libtorch 1.13 has no FBGEMM; it carries the oneDNN and QNNPACK engines, so the packed
// weights are built for oneDNN when present (fast on AVX-512 VNNI), else QNNPACK, else FBGEMM.
// A packed weight is a JS External of its own tag (never taken for a Tensor); the GC frees it.
#include "common.h"
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>

namespace hubtune {
namespace {

static const napi_type_tag kPackedTag = {0x6875627475e6e652ULL, 0x716c696e656172a1ULL};

struct Packed {
  c10::intrusive_ptr<LinearPackedParamsBase> params;
  int64_t inFeatures = 0;
  int64_t outFeatures = 0;
};

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
  PickEngine();
  at::Tensor zp = at::zeros({w.size(0)}, at::kLong);
  at::Tensor qw = at::_make_per_channel_quantized_tensor(w.contiguous(), scale.to(at::kDouble).contiguous(), zp, 0);
  static auto prepack = c10::Dispatcher::singleton()
                            .findSchemaOrThrow("quantized::linear_prepack", "")
                            .typed<c10::intrusive_ptr<LinearPackedParamsBase>(at::Tensor, c10::optional<at::Tensor>)>();
  auto* p = new Packed{prepack.call(qw, bias), w.size(1), w.size(0)};
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
  return TensorWrap::Wrap(info.Env(), p->params->apply_dynamic(in, /*reduce_range=*/false));
}

// qlinearUnpack(packed) -> [int8 weight, float32 scales, bias | null] (what was packed)
static Napi::Value QUnpack(const Napi::CallbackInfo& info) {
  Packed* p = GetPacked(info[0]);
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

}  // namespace

void RegisterQuantized(Napi::Env env, Napi::Object exports) {
  HT_EXPORT(exports, "qlinearEngine", QEngineName);
  HT_EXPORT(exports, "qlinearQuantize", QQuantize);
  HT_EXPORT(exports, "qlinearPack", QPack);
  HT_EXPORT(exports, "qlinearForward", QForward);
  HT_EXPORT(exports, "qlinearUnpack", QUnpack);
}

}  // namespace hubtune
