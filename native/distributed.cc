// c10d for JavaScript: rendezvous over libtorch's TCPStore / FileStore, ProcessGroupGloo (and
// ProcessGroupNCCL where libtorch has CUDA), collectives that complete off the JS thread.
//
// - initProcessGroup runs in an AsyncWorker: the store connection, a rendezvous check of our own
//   over that store (every rank present, same world size, no rank twice; clear messages naming who
//   is missing) and the group's own rendezvous never block the event loop.
// - A collective is enqueued on the group (Gloo's worker threads run it) and its c10d Work future
//   calls back on that thread; a thread-safe function settles the JS promise on the JS thread.
#include "distributed.h"
#include "common.h"
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if !defined(USE_C10D_GLOO) && __has_include(<gloo/algorithm.h>)
#define USE_C10D_GLOO 1  // libgloo-dev is installed: Debian's libtorch has ProcessGroupGloo
#endif
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <chrono>
#include <cstring>
#include <functional>
#include <sstream>
#include <thread>

namespace hubtune {

static const napi_type_tag kGroupTag = {0x6875627475e6e651ULL, 0x63313064706721aaULL};

static std::string FirstLine(std::string s) {
  s = ShortMessage(s.c_str());
  auto nl = s.find('\n');
  if (nl != std::string::npos) s = s.substr(0, nl);
  return s;
}

static std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

static std::vector<uint8_t> Bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }
static std::string Str(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

// The local address this machine uses to reach `host` (no packet is sent: a UDP connect only picks
// the route). Gloo binds there, so a peer on another machine / namespace can reach this rank.
static std::string LocalAddressTowards(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) return "";
  std::string out;
  for (addrinfo* a = res; a && out.empty(); a = a->ai_next) {
    int fd = socket(a->ai_family, SOCK_DGRAM, 0);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      sockaddr_storage ss{};
      socklen_t len = sizeof(ss);
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
        char buf[INET6_ADDRSTRLEN] = {0};
        if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, buf, sizeof(buf));
        else if (ss.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof(buf));
        out = buf;
      }
    }
    close(fd);
  }
  freeaddrinfo(res);
  return out;
}

struct InitArgs {
  std::string backend, method, host, path, ifname;
  int port = 29500, rank = 0, size = 1;
  int64_t timeoutMs = 1800000;
};

static std::string Where(const InitArgs& a) {
  return a.method == "tcp" ? a.host + ":" + std::to_string(a.port) : a.path;
}

static c10::intrusive_ptr<c10d::Store> MakeStore(const InitArgs& a) {
  std::chrono::milliseconds timeout(a.timeoutMs);
  if (a.method == "file") {
    try {
      auto s = c10::make_intrusive<c10d::FileStore>(a.path, a.size);
      s->setTimeout(timeout);
      return s;
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot use the rendezvous file " + a.path + ": " + FirstLine(e.what()));
    }
  }
  c10d::TCPStoreOptions o;
  o.port = static_cast<std::uint16_t>(a.port);
  o.isServer = a.rank == 0;
  o.numWorkers = static_cast<std::size_t>(a.size);
  o.waitWorkers = false;  // our own check below names the ranks that are missing
  o.timeout = timeout;
  try {
    return c10::make_intrusive<c10d::TCPStore>(a.host, o);
  } catch (const std::exception& e) {
    std::string why = FirstLine(e.what());
    std::string l = Lower(why);
    if (o.isServer) {
      if (l.find("address already in use") != std::string::npos || l.find("eaddrinuse") != std::string::npos ||
          l.find("failed to listen") != std::string::npos || l.find("errno: 98") != std::string::npos) {
        throw std::runtime_error("rank 0 cannot listen on port " + std::to_string(a.port) +
                                 " for the rendezvous: the port is in use; choose a free MASTER_PORT (--master-port)");
      }
      throw std::runtime_error("rank 0 cannot start the rendezvous server on " + Where(a) + " (MASTER_ADDR/MASTER_PORT): " + why);
    }
    std::ostringstream m;
    m << "rank " << a.rank << " could not reach the rendezvous at " << Where(a)
      << " (MASTER_ADDR:MASTER_PORT) within " << (a.timeoutMs / 1000.0)
      << " s: check that rank 0 runs there and that the address and port are right (" << why << ")";
    throw std::runtime_error(m.str());
  }
}

// Every rank announces its world size; each waits until all ranks 0..size-1 have announced, and
// checks they all agree. A failure is posted under hubtune/error so that every rank reports it.
static void RendezvousCheck(c10d::Store& store, const InitArgs& a) {
  auto key = [](int r) { return "hubtune/rank/" + std::to_string(r); };
  const std::string errKey = "hubtune/error";
  auto fail = [&](const std::string& msg) {
    try { store.set(errKey, Bytes(msg)); } catch (...) {}
    throw std::runtime_error(msg);
  };
  store.set(key(a.rank), Bytes(std::to_string(a.size)));
  int64_t claims = store.add("hubtune/claim/" + std::to_string(a.rank), 1);
  if (claims > 1) {
    fail("two processes joined the rendezvous at " + Where(a) + " as rank " + std::to_string(a.rank) +
         ": give every process its own RANK" + (a.method == "file" ? " (or delete a rendezvous file left by an earlier run)" : ""));
  }
  std::vector<bool> seen(a.size, false);
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::milliseconds(a.timeoutMs);
  for (;;) {
    if (store.check({errKey})) throw std::runtime_error(Str(store.get(errKey)));
    std::vector<int> missing;
    for (int r = 0; r < a.size; r++) {
      if (seen[r]) continue;
      if (!store.check({key(r)})) { missing.push_back(r); continue; }
      std::string v = Str(store.get(key(r)));
      if (v != std::to_string(a.size)) {
        fail("mismatched world sizes: rank " + std::to_string(r) + " was started with worldSize " + v + " and rank " +
             std::to_string(a.rank) + " with " + std::to_string(a.size) +
             ": start every rank with the same WORLD_SIZE (--nnodes x --nproc-per-node)");
      }
      seen[r] = true;
    }
    if (missing.empty()) return;
    if (std::chrono::steady_clock::now() > deadline) {
      std::ostringstream m;
      m << "timed out after " << (a.timeoutMs / 1000.0) << " s waiting for rank" << (missing.size() > 1 ? "s " : " ");
      for (size_t i = 0; i < missing.size() && i < 8; i++) m << (i ? ", " : "") << missing[i];
      if (missing.size() > 8) m << ", ...";
      m << " (of worldSize " << a.size << ") to join the rendezvous at " << Where(a)
        << ": start every rank (same MASTER_ADDR/MASTER_PORT), or raise the timeout";
      throw std::runtime_error(m.str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

static c10::intrusive_ptr<c10d::ProcessGroup> MakeGroup(const c10::intrusive_ptr<c10d::Store>& store, const InitArgs& a) {
  std::chrono::milliseconds timeout(a.timeoutMs);
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("hubtune_pg/0", store);
  if (a.backend == "gloo") {
#ifdef USE_C10D_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    if (!a.ifname.empty()) {
      std::stringstream ss(a.ifname);
      std::string name;
      while (std::getline(ss, name, ',')) {
        if (name.empty()) continue;
        try {
          opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
        } catch (const std::exception& e) {
          throw std::runtime_error("GLOO_SOCKET_IFNAME names interface '" + name + "', which Gloo cannot use: " + FirstLine(e.what()));
        }
      }
    } else {
      std::string local = a.method == "tcp" ? LocalAddressTowards(a.host, a.port) : "";
      opts->devices.push_back(local.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                                            : c10d::ProcessGroupGloo::createDeviceForHostname(local));
    }
    opts->threads = static_cast<int>(opts->devices.size()) * 2;
    return c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, a.rank, a.size, opts);
#else
    throw std::runtime_error("this hubtune addon was built without Gloo (libgloo-dev was missing): install libgloo-dev and rebuild (npm rebuild hubtune)");
#endif
  }
  if (a.backend == "nccl") {
#ifdef USE_C10D_NCCL
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, a.rank, a.size, opts);
#else
    throw std::runtime_error("backend 'nccl' needs a libtorch with CUDA and NCCL (LIBTORCH_USE_PYTORCH=1 with a CUDA PyTorch); this build has none: use backend 'gloo'");
#endif
  }
  throw std::runtime_error("unknown backend '" + a.backend + "': use 'gloo' or 'nccl'");
}

class InitWorker : public Napi::AsyncWorker {
 public:
  InitWorker(Napi::Env env, InitArgs a) : Napi::AsyncWorker(env), args_(std::move(a)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    c10::intrusive_ptr<c10d::Store> store;
    try {
      store = MakeStore(args_);
      try {
        RendezvousCheck(*store, args_);
      } catch (const std::runtime_error&) {
        throw;
      } catch (const std::exception& e) {
        throw std::runtime_error("lost the rendezvous at " + Where(args_) + " (did rank 0 stop?): " + FirstLine(e.what()));
      }
      auto pg = MakeGroup(store, args_);
      holder_ = new ProcessGroupHolder{store, pg, args_.backend, args_.rank, args_.size};
    } catch (const std::exception& e) {
      // Rank 0 serves the store: stay a moment so the others read the posted error, not a dead socket.
      if (store && args_.method == "tcp" && args_.rank == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1000));
      SetError(FirstLine(e.what()));
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    auto ext = Napi::External<ProcessGroupHolder>::New(env, holder_, [](Napi::Env, ProcessGroupHolder* h) { delete h; });
    napi_type_tag_object(env, ext, &kGroupTag);
    deferred_.Resolve(ext);
  }
  void OnError(const Napi::Error& e) override {
    auto err = Napi::Error::New(Env(), e.Message());
    err.Set("code", Napi::String::New(Env(), "ERR_HUBTUNE_DISTRIBUTED"));
    deferred_.Reject(err.Value());
  }

 private:
  InitArgs args_;
  Napi::Promise::Deferred deferred_;
  ProcessGroupHolder* holder_ = nullptr;
};

ProcessGroupHolder* ProcessGroupHolderFromJs(const Napi::Value& v) {
  bool ok = false;
  if (v.IsExternal()) napi_check_object_type_tag(v.Env(), v, &kGroupTag, &ok);
  if (!ok) throw Napi::TypeError::New(v.Env(), "expected a ProcessGroup handle");
  return v.As<Napi::External<ProcessGroupHolder>>().Data();
}

c10::intrusive_ptr<c10d::ProcessGroup> ProcessGroupFromJs(const Napi::Value& v) {
  auto* h = ProcessGroupHolderFromJs(v);
  if (!h->pg) throw Napi::Error::New(v.Env(), "the process group was destroyed: call initProcessGroup() again");
  return h->pg;
}

// ---- completion of a collective ----------------------------------------------------------------
struct Pending {
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction tsfn;
  bool failed = false;
  std::string error;
};

static Napi::Value Settle(Napi::Env env, const c10::intrusive_ptr<c10d::Work>& work, std::vector<at::Tensor> keep,
                          std::function<void()> after) {
  auto deferred = Napi::Promise::Deferred::New(env);
  auto tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "hubtune-c10d", 0, 1);
  auto* p = new Pending{deferred, tsfn, false, std::string()};
  auto fut = work->getFuture();
  fut->addCallback([p, keep = std::move(keep), after = std::move(after), work](c10::ivalue::Future& f) mutable {
    if (f.hasError()) {
      p->failed = true;
      p->error = FirstLine(f.tryRetrieveErrorMessage());
    } else if (after) {
      try {
        after();
      } catch (const c10::Error& e) {
        p->failed = true;
        p->error = FirstLine(e.what_without_backtrace());
      } catch (const std::exception& e) {
        p->failed = true;
        p->error = FirstLine(e.what());
      }
    }
    keep.clear();
    auto fn = p->tsfn;
    fn.BlockingCall(p, [](Napi::Env env, Napi::Function, Pending* q) {
      if (q->failed) {
        auto err = Napi::Error::New(env, q->error);
        err.Set("code", Napi::String::New(env, "ERR_HUBTUNE_DISTRIBUTED"));
        q->deferred.Reject(err.Value());
      } else {
        q->deferred.Resolve(env.Undefined());
      }
      delete q;
    });
    fn.Release();
  });
  return deferred.Promise();
}

static c10d::ReduceOp Op(const std::string& s, Napi::Env env) {
  if (s == "sum") return c10d::ReduceOp::SUM;
  if (s == "product") return c10d::ReduceOp::PRODUCT;
  if (s == "max") return c10d::ReduceOp::MAX;
  if (s == "min") return c10d::ReduceOp::MIN;
  throw Napi::Error::New(env, "unknown reduce op '" + s + "': use sum, avg, max, min or product");
}

// ---- exported functions ------------------------------------------------------------------------
static Napi::Value Init(const Napi::CallbackInfo& info) {
  auto o = info[0].As<Napi::Object>();
  InitArgs a;
  a.backend = o.Get("backend").As<Napi::String>().Utf8Value();
  a.method = o.Get("method").As<Napi::String>().Utf8Value();
  if (a.method == "tcp") {
    a.host = o.Get("host").As<Napi::String>().Utf8Value();
    a.port = o.Get("port").As<Napi::Number>().Int32Value();
  } else {
    a.path = o.Get("path").As<Napi::String>().Utf8Value();
  }
  a.rank = o.Get("rank").As<Napi::Number>().Int32Value();
  a.size = o.Get("worldSize").As<Napi::Number>().Int32Value();
  a.timeoutMs = o.Get("timeoutMs").As<Napi::Number>().Int64Value();
  if (o.Has("ifname") && o.Get("ifname").IsString()) a.ifname = o.Get("ifname").As<Napi::String>().Utf8Value();
  auto* w = new InitWorker(info.Env(), a);
  auto promise = w->Promise();
  w->Queue();
  return promise;
}

static Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  auto pg = ProcessGroupFromJs(info[0]);
  at::Tensor t = T(info[1]);
  std::string op = info[2].As<Napi::String>().Utf8Value();
  bool avg = op == "avg";
  c10d::AllreduceOptions o;
  o.reduceOp = avg ? c10d::ReduceOp(c10d::ReduceOp::SUM) : Op(op, info.Env());
  std::vector<at::Tensor> ts{t};
  auto work = pg->allreduce(ts, o);
  int size = pg->getSize();
  std::function<void()> after;
  if (avg) after = [t, size]() mutable { t.div_(size); };
  return Settle(info.Env(), work, ts, after);
}

static Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  auto pg = ProcessGroupFromJs(info[0]);
  std::vector<at::Tensor> ts{T(info[1])};
  c10d::BroadcastOptions o;
  o.rootRank = static_cast<int64_t>(I(info[2]));
  o.rootTensor = 0;
  auto work = pg->broadcast(ts, o);
  return Settle(info.Env(), work, ts, nullptr);
}

static Napi::Value AllGather(const Napi::CallbackInfo& info) {
  auto pg = ProcessGroupFromJs(info[0]);
  std::vector<std::vector<at::Tensor>> outs{TList(info[1])};
  std::vector<at::Tensor> ins{T(info[2])};
  auto work = pg->allgather(outs, ins);
  std::vector<at::Tensor> keep = outs[0];
  keep.push_back(ins[0]);
  return Settle(info.Env(), work, keep, nullptr);
}

static Napi::Value ReduceScatter(const Napi::CallbackInfo& info) {
  auto pg = ProcessGroupFromJs(info[0]);
  at::Tensor out = T(info[1]);
  std::vector<at::Tensor> ins = TList(info[2]);
  std::string op = info[3].As<Napi::String>().Utf8Value();
  bool avg = op == "avg";
  c10d::ReduceOp rop = avg ? c10d::ReduceOp(c10d::ReduceOp::SUM) : Op(op, info.Env());
  int size = pg->getSize(), rank = pg->getRank();
  if (pg->getBackendName() == "gloo") {
    // Gloo in libtorch 1.13 has no reduce_scatter: an all-reduce of the inputs side by side, each
    // rank keeping its own slice (the same result, twice the traffic).
    std::vector<at::Tensor> flat;
    for (auto& x : ins) flat.push_back(x.reshape({-1}));
    at::Tensor buf = at::cat(flat);
    std::vector<at::Tensor> ts{buf};
    c10d::AllreduceOptions o;
    o.reduceOp = rop;
    auto work = pg->allreduce(ts, o);
    int64_t n = out.numel();
    auto after = [buf, out, n, rank, size, avg]() mutable {
      auto slice = buf.narrow(0, static_cast<int64_t>(rank) * n, n).view(out.sizes());
      if (avg) out.copy_(slice.div(size)); else out.copy_(slice);
    };
    return Settle(info.Env(), work, {buf, out}, after);
  }
  std::vector<at::Tensor> outs{out};
  std::vector<std::vector<at::Tensor>> inl{ins};
  c10d::ReduceScatterOptions o;
  o.reduceOp = rop;
  auto work = pg->reduce_scatter(outs, inl, o);
  std::function<void()> after;
  if (avg) after = [out, size]() mutable { out.div_(size); };
  return Settle(info.Env(), work, outs, after);
}

static Napi::Value Barrier(const Napi::CallbackInfo& info) {
  auto pg = ProcessGroupFromJs(info[0]);
  auto work = pg->barrier();
  return Settle(info.Env(), work, {}, nullptr);
}

static Napi::Value Destroy(const Napi::CallbackInfo& info) {
  auto* h = ProcessGroupHolderFromJs(info[0]);
  h->pg.reset();
  h->store.reset();
  return info.Env().Undefined();
}

static Napi::Value Backends(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
#ifdef USE_C10D_GLOO
  o.Set("gloo", true);
#else
  o.Set("gloo", false);
#endif
#ifdef USE_C10D_NCCL
  o.Set("nccl", true);
#else
  o.Set("nccl", false);
#endif
  return o;
}

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  HT_EXPORT(exports, "distInit", Init);
  HT_EXPORT(exports, "distAllReduce", AllReduce);
  HT_EXPORT(exports, "distBroadcast", Broadcast);
  HT_EXPORT(exports, "distAllGather", AllGather);
  HT_EXPORT(exports, "distReduceScatter", ReduceScatter);
  HT_EXPORT(exports, "distBarrier", Barrier);
  HT_EXPORT(exports, "distDestroy", Destroy);
  HT_EXPORT(exports, "distBackends", Backends);
}

}  // namespace hubtune
