// ATen's autocast state (thread-local): captured and re-applied as a unit, the way torch.autocast
// and torch.utils.checkpoint do (the CPU and CUDA flags and dtypes, the weight-cast cache switch).
#pragma once
#include <ATen/autocast_mode.h>

namespace hubtune {

struct AutocastState {
  bool cpuEnabled = false, gpuEnabled = false, cacheEnabled = true;
  at::ScalarType cpuDtype = at::kBFloat16, gpuDtype = at::kHalf;

  static AutocastState Current() {
    AutocastState s;
    s.cpuEnabled = at::autocast::is_cpu_enabled();
    s.gpuEnabled = at::autocast::is_enabled();
    s.cacheEnabled = at::autocast::is_autocast_cache_enabled();
    s.cpuDtype = at::autocast::get_autocast_cpu_dtype();
    s.gpuDtype = at::autocast::get_autocast_gpu_dtype();
    return s;
  }
  void Apply() const {
    at::autocast::set_cpu_enabled(cpuEnabled);
    at::autocast::set_enabled(gpuEnabled);
    at::autocast::set_autocast_cache_enabled(cacheEnabled);
    at::autocast::set_autocast_cpu_dtype(cpuDtype);
    at::autocast::set_autocast_gpu_dtype(gpuDtype);
  }
};

// Enters a saved autocast state for a scope (one nesting level, as torch.autocast's __enter__), and
// on leaving clears the cast cache when the outermost level closes, then restores what was there.
class AutocastScope {
 public:
  explicit AutocastScope(const AutocastState& s) : prev_(AutocastState::Current()) {
    s.Apply();
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    prev_.Apply();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  AutocastState prev_;
};

}  // namespace hubtune
