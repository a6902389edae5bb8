// A plain-malloc CPU allocator for libtorch. Inside Node, glibc did not reuse the buffers freed
// by libtorch's default allocator and RSS grew to several GB in training loops (engine-notes.md);
// malloc with manual 64-byte alignment kept it flat and was faster. It also gives byte counts.
#include "common.h"
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <cstdlib>
#include <cstring>

namespace hubtune {
namespace {
std::atomic<int64_t> liveBytes{0}, peakBytes{0}, liveCount{0};
constexpr size_t kAlign = 64;
constexpr size_t kHeader = 64;  // keeps alignment; holds the original pointer and size

void Delete(void* p) {
  if (!p) return;
  auto* hdr = reinterpret_cast<uint64_t*>(static_cast<char*>(p) - 16);
  void* orig = reinterpret_cast<void*>(hdr[0]);
  liveBytes -= static_cast<int64_t>(hdr[1]);
  liveCount -= 1;
  std::free(orig);
}

void* Alloc(size_t n) {
  char* orig = static_cast<char*>(std::malloc(n + kHeader + kAlign));
  if (!orig) throw std::bad_alloc();
  uintptr_t base = reinterpret_cast<uintptr_t>(orig) + kHeader;
  uintptr_t aligned = (base + kAlign - 1) & ~(uintptr_t)(kAlign - 1);
  auto* hdr = reinterpret_cast<uint64_t*>(aligned - 16);
  hdr[0] = reinterpret_cast<uint64_t>(orig);
  hdr[1] = n;
  int64_t now = (liveBytes += static_cast<int64_t>(n));
  liveCount += 1;
  int64_t peak = peakBytes.load();
  while (now > peak && !peakBytes.compare_exchange_weak(peak, now)) {}
  return reinterpret_cast<void*>(aligned);
}

struct MallocAllocator final : public c10::Allocator {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override {
#else
  c10::DataPtr allocate(size_t n) const override {
#endif
    void* p = Alloc(n == 0 ? 1 : n);
    return {p, p, &Delete, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &Delete; }
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  void copy_data(void* dest, const void* src, std::size_t count) const override { std::memcpy(dest, src, count); }
#endif
};

MallocAllocator g_allocator;
}  // namespace

void InstallAllocator() {
  if (std::getenv("HUBTUNE_DEFAULT_ALLOCATOR")) return;
  c10::SetAllocator(c10::DeviceType::CPU, &g_allocator, /*priority=*/100);
}
int64_t AllocatorLiveBytes() { return liveBytes.load(); }
int64_t AllocatorPeakBytes() { return peakBytes.load(); }
void AllocatorResetPeak() { peakBytes.store(liveBytes.load()); }
int64_t AllocatorCount() { return liveCount.load(); }

}  // namespace hubtune
