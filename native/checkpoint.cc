// Activation checkpointing (torch.utils.checkpoint): a segment runs once without recording a graph;
// its outputs get one autograd node that, in the backward pass, runs the segment again (a JS
// function) with the saved RNG and autocast state, so dropout masks and casts come out the same,
// then back-propagates through that recomputation. Parameters reached by the recomputation get
// their gradients accumulated there (torch's reentrant variant); the segment's tensor inputs get
// theirs through the node's edges.
//
// The recomputation calls into JavaScript, so it must run on the thread that owns the JS
// environment. libtorch runs CPU backward passes on the calling thread; a CUDA backward pass runs
// on a device thread, and the node then stops with an error instead of touching JS from there.
#include "common.h"
#include "autocast.h"
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <memory>
#include <thread>

namespace hubtune {
namespace {

// Set to false when the environment shuts down: a graph freed after that leaks its JS reference
// instead of touching a dead environment.
struct EnvAlive {
  std::atomic<bool> alive{true};
};

struct JsSegment {
  Napi::Env env;
  Napi::FunctionReference fn;
  std::thread::id thread;
  std::shared_ptr<EnvAlive> envAlive;
  JsSegment(Napi::Env e, Napi::Function f, std::shared_ptr<EnvAlive> a)
      : env(e), fn(Napi::Persistent(f)), thread(std::this_thread::get_id()), envAlive(std::move(a)) {}
  ~JsSegment() {
    if (!envAlive->alive.load() || std::this_thread::get_id() != thread) fn.SuppressDestruct();
  }
};

std::shared_ptr<EnvAlive>& EnvFlag(Napi::Env env) {
  // one flag per environment (main thread or worker), kept as instance data of this file
  static thread_local std::shared_ptr<EnvAlive> flag;
  if (!flag) {
    flag = std::make_shared<EnvAlive>();
    auto* keep = new std::shared_ptr<EnvAlive>(flag);
    napi_add_env_cleanup_hook(env, [](void* p) {
      auto* f = static_cast<std::shared_ptr<EnvAlive>*>(p);
      (*f)->alive.store(false);
      delete f;
    }, keep);
  }
  return flag;
}

at::Tensor CpuRngState() {
  auto g = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state();
}
void SetCpuRngState(const at::Tensor& st) {
  auto g = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(st);
}

// Runs the segment's JS function on `inputs` and returns its outputs (undefined for nulls). The JS
// side returns fresh handles (aliases) that are released here once copied.
std::vector<at::Tensor> CallSegment(Napi::Env env, const Napi::FunctionReference& fn, const std::vector<at::Tensor>& inputs) {
  Napi::HandleScope scope(env);
  auto arr = Napi::Array::New(env, inputs.size());
  for (size_t i = 0; i < inputs.size(); i++) arr.Set(static_cast<uint32_t>(i), TensorWrap::Wrap(env, inputs[i]));
  Napi::Value ret = fn.Call({arr});
  if (!ret.IsArray()) throw Napi::TypeError::New(env, "a checkpointed function must return an array of tensors (or nulls)");
  auto outs = ret.As<Napi::Array>();
  std::vector<at::Tensor> result;
  result.reserve(outs.Length());
  for (uint32_t i = 0; i < outs.Length(); i++) {
    Napi::Value v = outs.Get(i);
    if (v.IsNull() || v.IsUndefined()) { result.emplace_back(); continue; }
    Holder* h = TensorWrap::Get(v);
    if (!h->t.defined()) throw Napi::Error::New(env, "a checkpointed function returned a disposed tensor");
    result.push_back(h->t);
    TensorWrap::Release(env, h);
  }
  return result;
}

// Restores the saved RNG state for the recomputation and puts the current one back afterwards
// (torch.random.fork_rng).
class RngFork {
 public:
  explicit RngFork(const at::Tensor& saved) : active_(saved.defined()) {
    if (!active_) return;
    current_ = CpuRngState();
    SetCpuRngState(saved);
  }
  ~RngFork() {
    if (active_) SetCpuRngState(current_);
  }
 private:
  bool active_;
  at::Tensor current_;
};

struct CheckpointBackward : public torch::autograd::Node {
  std::shared_ptr<JsSegment> segment;
  std::vector<at::Tensor> inputs;  // detached, as they were at the forward pass
  std::vector<bool> needsGrad;
  std::vector<uint32_t> versions;
  at::Tensor rngState;             // undefined when the RNG state is not preserved
  AutocastState autocast;

  std::string name() const override { return "CheckpointBackward"; }

  void release_variables() override {
    inputs.clear();
    rngState.reset();
  }

  torch::autograd::variable_list apply(torch::autograd::variable_list&& grads) override {
    if (!segment) throw std::runtime_error("gradient checkpointing: the segment was already released");
    if (std::this_thread::get_id() != segment->thread) {
      throw std::runtime_error("gradient checkpointing recomputes layers in JavaScript, which this backward pass (on a device thread) cannot reach: turn gradient checkpointing off for CUDA training");
    }
    if (inputs.size() != needsGrad.size()) {
      throw std::runtime_error("gradient checkpointing: the saved inputs were already freed; pass retainGraph to backward() to run it twice");
    }
    for (size_t i = 0; i < inputs.size(); i++) {
      if (inputs[i].defined() && inputs[i]._version() != versions[i]) {
        throw std::runtime_error("one of the tensors saved by gradient checkpointing (input " + std::to_string(i) +
                                 ") was modified in place after the forward pass: clone it before modifying it");
      }
    }
    std::vector<at::Tensor> xs(inputs.size()), args(inputs.size());
    std::vector<at::Tensor> outs;
    {
      at::AutoGradMode enable(true);
      AutocastScope ac(autocast);
      RngFork rng(rngState);
      for (size_t i = 0; i < inputs.size(); i++) {
        if (!inputs[i].defined()) continue;
        xs[i] = inputs[i].detach();
        args[i] = xs[i];
        if (!needsGrad[i]) continue;
        xs[i].requires_grad_(true);
        // The segment gets a view, not the leaf itself: autocast caches the low-precision copy of a
        // float32 leaf that requires grad (meant for weights), and the gradients of every use would
        // then be summed in low precision, unlike the first (plain) forward pass.
        args[i] = at::alias(xs[i]);
      }
      outs = CallSegment(segment->env, segment->fn, args);
    }
    torch::autograd::variable_list withGrad, gradsSel;
    for (size_t i = 0; i < outs.size() && i < grads.size(); i++) {
      if (outs[i].defined() && outs[i].requires_grad() && grads[i].defined()) {
        withGrad.push_back(outs[i]);
        gradsSel.push_back(grads[i]);
      }
    }
    if (!withGrad.empty()) {
      at::AutoGradMode enable(true);
      torch::autograd::backward(withGrad, gradsSel, /*retain_graph=*/false, /*create_graph=*/false);
    }
    torch::autograd::variable_list result(inputs.size());
    for (size_t i = 0; i < xs.size(); i++) {
      if (needsGrad[i] && xs[i].defined()) result[i] = xs[i].grad();
    }
    return result;
  }
};

// checkpoint(fn, inputs[], forceGrad, preserveRngState) -> outputs[]
// fn(handles[]) -> handles[] runs the segment (the JS wrapper returns aliases, see CallSegment).
// forceGrad: the outputs need gradients even when no input does (the segment's parameters do).
Napi::Value Checkpoint(const Napi::CallbackInfo& info) {
  HT_TRY
  Napi::Env env = info.Env();
  auto fn = info[0].As<Napi::Function>();
  auto list = info[1].As<Napi::Array>();
  bool forceGrad = Has(info, 2) && B(info[2]);
  bool preserveRng = !Has(info, 3) || B(info[3]);
  std::vector<at::Tensor> inputs(list.Length());
  bool anyGrad = forceGrad;
  for (uint32_t i = 0; i < list.Length(); i++) {
    auto v = list.Get(i);
    if (v.IsNull() || v.IsUndefined()) continue;
    inputs[i] = T(v);
    anyGrad = anyGrad || inputs[i].requires_grad();
  }
  auto segment = std::make_shared<JsSegment>(env, fn, EnvFlag(env));
  if (!at::GradMode::is_enabled() || !anyGrad) {
    // Nothing to differentiate: run the segment as it is.
    return ToArray(env, CallSegment(env, segment->fn, inputs));
  }
  auto node = std::shared_ptr<CheckpointBackward>(new CheckpointBackward(), torch::autograd::deleteNode);
  node->segment = segment;
  node->autocast = AutocastState::Current();
  if (preserveRng) node->rngState = CpuRngState();
  std::vector<at::Tensor> detached(inputs.size());
  for (size_t i = 0; i < inputs.size(); i++) {
    if (!inputs[i].defined()) { node->needsGrad.push_back(false); node->versions.push_back(0); continue; }
    detached[i] = inputs[i].detach();
    node->needsGrad.push_back(inputs[i].requires_grad());
    node->versions.push_back(inputs[i]._version());
  }
  std::vector<at::Tensor> outs;
  {
    at::AutoGradMode disable(false);
    // Casts made without grad must not enter autocast's weight-cast cache: a later use of the same
    // weights with grad in this autocast region would get a copy without history (no gradients).
    AutocastState noCache = node->autocast;
    noCache.cacheEnabled = false;
    AutocastScope ac(noCache);
    outs = CallSegment(env, segment->fn, detached);
  }
  node->inputs = detached;
  node->set_next_edges(torch::autograd::collect_next_edges(inputs));
  auto result = Napi::Array::New(env, outs.size());
  for (size_t i = 0; i < outs.size(); i++) {
    if (!outs[i].defined()) {
      node->add_input_metadata(torch::autograd::Node::undefined_input());
      result.Set(static_cast<uint32_t>(i), env.Null());
      continue;
    }
    at::Tensor out = outs[i].detach();
    if (at::isFloatingType(out.scalar_type())) torch::autograd::set_history(out, node);
    else node->add_input_metadata(torch::autograd::Node::undefined_input());
    result.Set(static_cast<uint32_t>(i), TensorWrap::Wrap(env, out));
  }
  return result;
  HT_CATCH
}

// alias(t): a second handle to the same tensor (disposing one leaves the other working).
Napi::Value Alias(const Napi::CallbackInfo& info) {
  HT_TRY
  return TensorWrap::Wrap(info.Env(), T(info[0]));
  HT_CATCH
}

}  // namespace

void RegisterCheckpoint(Napi::Env env, Napi::Object exports) {
  HT_EXPORT(exports, "checkpoint", Checkpoint);
  HT_EXPORT(exports, "alias", Alias);
}

}  // namespace hubtune
