// c10d process groups for JavaScript (native/distributed.cc), and the accessor other native files
// use to reach the libtorch ProcessGroup behind a JS handle (e.g. a c10d::Reducer for DDP).
#pragma once
#include <napi.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <string>

namespace hubtune {

/** What a process-group handle (a tagged Napi::External, `ProcessGroup._h` in TypeScript) owns. */
struct ProcessGroupHolder {
  c10::intrusive_ptr<c10d::Store> store;       // the rendezvous store (TCPStore / FileStore), kept alive with the group
  c10::intrusive_ptr<c10d::ProcessGroup> pg;   // null once destroyed
  std::string backend;
  int rank = 0;
  int size = 1;
};

/** The holder behind a process-group handle; a TypeError for anything else. */
ProcessGroupHolder* ProcessGroupHolderFromJs(const Napi::Value& handle);

/** The c10d process group behind a handle; a JS Error when the group was destroyed. */
c10::intrusive_ptr<c10d::ProcessGroup> ProcessGroupFromJs(const Napi::Value& handle);

void RegisterDistributed(Napi::Env env, Napi::Object exports);
/** DDP's gradient reducer (native/ddp.cc). */
void RegisterDdp(Napi::Env env, Napi::Object exports);

}  // namespace hubtune
