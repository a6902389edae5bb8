// Stand-in for a header Debian's libtorch-dev leaves out (torch/csrc/distributed/autograd/context/
// context.h, part of distributed autograd / RPC), which c10d/reducer.hpp includes for two names only:
// a pointer type it holds (always null here: hubtune does not use distributed autograd) and the
// grad-callback type, checked equal to its own. binding.gyp puts this folder on the search path with
// -idirafter, so a libtorch that ships the real header uses that one.
#pragma once
#include <ATen/core/Tensor.h>
#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {
class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;
}  // namespace autograd
}  // namespace distributed
}  // namespace torch
