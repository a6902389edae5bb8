// DistributedDataParallel's gradient reduction for the Trainer: c10d's own Reducer over a process
// group from native/distributed.cc. The Reducer puts autograd hooks on every parameter's gradient
// accumulator; during backward, each bucket of ~25 MB is all-reduced (averaged) as soon as all its
// gradients are ready, while the rest of backward still runs, and the averaged gradients are in
// place when backward returns. Steps without prepare_for_backward (gradient-accumulation
// micro-steps) only accumulate locally: DDP's no_sync.
#include "common.h"
#include "distributed.h"
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <unordered_map>

namespace hubtune {
namespace {

static const napi_type_tag kReducerTag = {0x6875627475e6e653ULL, 0x6464707265647563ULL};

struct ReducerHolder {
  std::shared_ptr<c10d::Reducer> reducer;
};

static ReducerHolder* GetReducer(const Napi::Value& v) {
  bool ok = false;
  if (v.IsExternal()) napi_check_object_type_tag(v.Env(), v, &kReducerTag, &ok);
  if (!ok) throw Napi::TypeError::New(v.Env(), "expected a DDP reducer (from ddpReducerNew)");
  return v.As<Napi::External<ReducerHolder>>().Data();
}

static std::vector<at::Tensor> Tensors(const Napi::Value& v) {
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(T(arr.Get(i)));
  return out;
}

// ddpReducerNew(group handle, params[], bucketCapBytes, firstBucketCapBytes, findUnusedParameters)
// -> reducer handle. Buckets as torch.nn.parallel.DistributedDataParallel assigns them: by size, in
// reverse parameter order (the order backward produces gradients in).
static Napi::Value ReducerNew(const Napi::CallbackInfo& info) {
  auto pg = ProcessGroupFromJs(info[0]);
  std::vector<at::Tensor> params = Tensors(info[1]);
  if (params.empty()) throw std::runtime_error("DDP: the model has no parameters that require grad");
  const int64_t cap = static_cast<int64_t>(info[2].As<Napi::Number>().Int64Value());
  const int64_t firstCap = static_cast<int64_t>(info[3].As<Napi::Number>().Int64Value());
  const bool findUnused = info[4].As<Napi::Boolean>().Value();
  std::vector<bool> sparse(params.size(), false);
  auto assigned = c10d::compute_bucket_assignment_by_size(params, {static_cast<size_t>(firstCap), static_cast<size_t>(cap)}, sparse, {}, c10::nullopt);
  auto bucketIndices = std::get<0>(assigned);
  auto perBucketLimits = std::get<1>(assigned);
  std::reverse(bucketIndices.begin(), bucketIndices.end());
  std::reverse(perBucketLimits.begin(), perBucketLimits.end());
  auto h = new ReducerHolder{std::make_shared<c10d::Reducer>(
      params, bucketIndices, perBucketLimits, pg, sparse, cap, findUnused, /*gradient_as_bucket_view=*/false,
      std::unordered_map<size_t, std::string>{}, firstCap)};
  auto ext = Napi::External<ReducerHolder>::New(info.Env(), h, [](Napi::Env, ReducerHolder* d) { delete d; });
  napi_type_tag_object(info.Env(), ext, &kReducerTag);
  return ext;
}

// ddpPrepareForward(reducer): before each forward pass (counts iterations, as DDP.forward does)
static Napi::Value PrepareForward(const Napi::CallbackInfo& info) {
  GetReducer(info[0])->reducer->prepare_for_forward();
  return info.Env().Undefined();
}

// ddpPrepareForBackward(reducer, outputs[]): the next backward reduces gradients across ranks
// (outputs: where the search for parameters unused by this step starts, with findUnusedParameters)
static Napi::Value PrepareForBackward(const Napi::CallbackInfo& info) {
  GetReducer(info[0])->reducer->prepare_for_backward(Tensors(info[1]));
  return info.Env().Undefined();
}

}  // namespace

void RegisterDdp(Napi::Env env, Napi::Object exports) {
  HT_EXPORT(exports, "ddpReducerNew", ReducerNew);
  HT_EXPORT(exports, "ddpPrepareForward", PrepareForward);
  HT_EXPORT(exports, "ddpPrepareForBackward", PrepareForBackward);
}

}  // namespace hubtune
