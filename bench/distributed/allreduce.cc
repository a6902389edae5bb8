// Plain C++ c10d all-reduce timing (the baseline of bench/distributed.ts): argv rank size port rounds mb...
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
int main(int argc, char** argv) {
  int rank = atoi(argv[1]), size = atoi(argv[2]), port = atoi(argv[3]), rounds = atoi(argv[4]);
  c10d::TCPStoreOptions o; o.port = port; o.isServer = rank == 0; o.numWorkers = size;
  auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", o);
  auto opts = c10d::ProcessGroupGloo::Options::create();
  opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  opts->threads = 2;
  auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("b", store), rank, size, opts);
  printf("{");
  for (int a = 5; a < argc; a++) {
    int64_t n = static_cast<int64_t>(atof(argv[a]) * 1024 * 1024 / 4);
    std::vector<at::Tensor> ts{at::ones({n})};
    pg->allreduce(ts)->wait();
    std::vector<double> ms;
    for (int r = 0; r < rounds; r++) {
      auto t0 = std::chrono::steady_clock::now();
      pg->allreduce(ts)->wait();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    printf("%s\"%s\":%.3f", a > 5 ? "," : "", argv[a], ms[ms.size() / 2]);
  }
  printf("}\n");
  pg->barrier()->wait();
  return 0;
}
