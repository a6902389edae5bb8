// A plain-malloc CPU allocator for libtorch. Inside Node, glibc did not reuse the buffers freed
// by libtorch's default allocator and RSS grew to several GB in training loops (engine-notes.md);
// malloc with manual 64-byte alignment kept it flat and was faster. It also gives byte counts.
#include "common.h"
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <sys/sysinfo.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace hubtune {
namespace {
std::atomic<int64_t> liveBytes{0}, peakBytes{0}, liveCount{0};
// Most bytes tensors may hold together. A request above it is refused at once with an error,
// instead of being overcommitted by the kernel and killing the process when touched.
std::atomic<int64_t> limitBytes{0};
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

std::string Human(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  int i = 0;
  while (b >= 1000 && i < 6) { b /= 1000; i++; }
  char buf[32];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f %s" : "%.1f %s", b, units[i]);
  return buf;
}

[[noreturn]] void Refuse(size_t n, const char* why) {
  throw OutOfMemory("out of memory: cannot allocate " + Human(static_cast<double>(n)) + " for a tensor (" + why + "; " +
                    Human(static_cast<double>(liveBytes.load())) + " held by tensors now): use smaller inputs, batches or models" +
                    (limitBytes.load() > 0 ? ", or raise HUBTUNE_MAX_TENSOR_BYTES" : ""));
}

/** MemAvailable + SwapFree from /proc/meminfo, or -1 when unknown. */
int64_t AvailableBytes() {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (!f) return -1;
  char line[256];
  int64_t avail = -1, swap = 0;
  while (std::fgets(line, sizeof line, f)) {
    long long kb = 0;
    if (std::sscanf(line, "MemAvailable: %lld kB", &kb) == 1) avail = kb * 1024;
    else if (std::sscanf(line, "SwapFree: %lld kB", &kb) == 1) swap = kb * 1024;
  }
  std::fclose(f);
  return avail < 0 ? -1 : avail + swap;
}

// Above this size, an allocation is first checked against the memory actually available: the
// kernel would overcommit it and kill the process when the tensor is filled.
constexpr size_t kCheckAvailableFrom = size_t(256) << 20;

void* Alloc(size_t n) {
  if (n > (SIZE_MAX >> 2)) Refuse(n, "the size overflows");
  int64_t limit = limitBytes.load();
  if (limit > 0 && static_cast<int64_t>(n) > limit - liveBytes.load()) Refuse(n, ("the limit is " + Human(static_cast<double>(limit))).c_str());
  if (n >= kCheckAvailableFrom) {
    int64_t avail = AvailableBytes();
    if (avail >= 0 && static_cast<int64_t>(n) > avail) Refuse(n, ("only " + Human(static_cast<double>(avail)) + " of memory is available").c_str());
  }
  char* orig = static_cast<char*>(std::malloc(n + kHeader + kAlign));
  if (!orig) Refuse(n, "the system refused it");
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

/** HUBTUNE_MAX_TENSOR_BYTES ("0" for none, or bytes with an optional k/M/G/T suffix); default RAM + swap. */
int64_t LimitFromEnv() {
  const char* v = std::getenv("HUBTUNE_MAX_TENSOR_BYTES");
  if (v && *v) {
    char* end = nullptr;
    double x = std::strtod(v, &end);
    double mult = 1;
    switch (end && *end ? *end : ' ') {
      case 'k': case 'K': mult = 1e3; break;
      case 'm': case 'M': mult = 1e6; break;
      case 'g': case 'G': mult = 1e9; break;
      case 't': case 'T': mult = 1e12; break;
      default: break;
    }
    if (x >= 0 && x * mult < 9e18) return static_cast<int64_t>(x * mult);
  }
  struct sysinfo si;
  if (sysinfo(&si) == 0) return static_cast<int64_t>((static_cast<double>(si.totalram) + si.totalswap) * si.mem_unit);
  return 0;
}
// glibc's malloc, tuned for a training loop: by default it maps blocks above a dynamic threshold
// (128 kB at start) afresh and gives the top of the heap back to the kernel once 2x that threshold
// is free there, so every step's activations (freed by backward) came back as fresh zero-filled pages:
// ~26,000 page faults and ~0.2 s of kernel time per DistilRoBERTa-base forward, which PyTorch in
// Python did not pay. A fixed 32 MB map threshold (glibc's largest) and keeping up to 1 GB (an
// eighth of RAM at most) free at the top of the heap reuse that memory. A user's own malloc settings
// (MALLOC_*_ / glibc.malloc tunables) win; HUBTUNE_MALLOC_TUNING=0 leaves glibc's defaults.
void TuneMalloc() {
#if defined(__GLIBC__)
  const char* off = std::getenv("HUBTUNE_MALLOC_TUNING");
  if (off && std::string(off) == "0") return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if ((tunables && std::strstr(tunables, "glibc.malloc.")) || std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_TOP_PAD_")) return;
  int64_t keep = int64_t(1) << 30;
  struct sysinfo si;
  if (sysinfo(&si) == 0) keep = std::min<int64_t>(keep, static_cast<int64_t>(static_cast<double>(si.totalram) * si.mem_unit / 8));
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(std::max<int64_t>(keep, 64 << 20)));
#endif
}
}  // namespace

void InstallAllocator() {
  limitBytes.store(LimitFromEnv());
  TuneMalloc();
  if (std::getenv("HUBTUNE_DEFAULT_ALLOCATOR")) return;
  c10::SetAllocator(c10::DeviceType::CPU, &g_allocator, /*priority=*/100);
}
int64_t AllocatorLiveBytes() { return liveBytes.load(); }
int64_t AllocatorPeakBytes() { return peakBytes.load(); }
void AllocatorResetPeak() { peakBytes.store(liveBytes.load()); }
int64_t AllocatorCount() { return liveCount.load(); }
int64_t AllocatorLimitBytes() { return limitBytes.load(); }
void SetAllocatorLimitBytes(int64_t bytes) { limitBytes.store(bytes < 0 ? 0 : bytes); }

}  // namespace hubtune
