#include "int8_matmul.h"
#include <stdexcept>
#include <string>
#ifdef HUBTUNE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#include <map>
#include <mutex>
#include <vector>
#endif

namespace hubtune {

int64_t Int8Matmul::PaddedRows(int64_t rows) {
  const int64_t step = rows <= 256 ? 16 : rows <= 2048 ? 128 : 512;
  return (rows + step - 1) / step * step;
}

#ifdef HUBTUNE_DNNL
using dnnl::memory;

namespace {
dnnl::engine& Engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}
}  // namespace

struct Int8Matmul::Impl {
  int64_t n, k;
  const int8_t* plain;  // [n, k], the caller's, to reorder for a layout not seen yet
  struct Entry {
    dnnl::matmul prim;
    memory::desc src, dst;
    std::shared_ptr<memory> weights;
  };
  std::map<int64_t, Entry> byRows;
  std::vector<std::shared_ptr<memory>> layouts;  // reordered weights, one per layout the kernels asked for
  std::mutex mu;

  Entry& For(int64_t rows) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = byRows.find(rows);
    if (it != byRows.end()) return it->second;
    memory::desc src({rows, k}, memory::data_type::u8, memory::format_tag::ab);
    memory::desc wany({k, n}, memory::data_type::s8, memory::format_tag::any);
    memory::desc dst({rows, n}, memory::data_type::s32, memory::format_tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, wany, dst), Engine());
    std::shared_ptr<memory> w;
    for (auto& l : layouts) if (l->get_desc() == pd.weights_desc()) w = l;
    if (!w) {
      memory from({{k, n}, memory::data_type::s8, memory::format_tag::ba}, Engine(), const_cast<int8_t*>(plain));
      w = std::make_shared<memory>(pd.weights_desc(), Engine());
      dnnl::stream s(Engine());
      dnnl::reorder(from, *w).execute(s, from, *w);
      s.wait();
      layouts.push_back(w);
    }
    return byRows.emplace(rows, Entry{dnnl::matmul(pd), src, dst, w}).first->second;
  }
};

Int8Matmul::Int8Matmul(const int8_t* w, int64_t n, int64_t k) : impl_(new Impl{n, k, w, {}, {}, {}}) {}
Int8Matmul::~Int8Matmul() = default;
bool Int8Matmul::Available() { return true; }

void Int8Matmul::Run(const uint8_t* a, int64_t rows, int32_t* acc) {
  Impl::Entry& e = impl_->For(rows);
  memory src(e.src, Engine(), const_cast<uint8_t*>(a));
  memory dst(e.dst, Engine(), acc);
  dnnl::stream s(Engine());
  e.prim.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, *e.weights}, {DNNL_ARG_DST, dst}});
  s.wait();
}
#else
struct Int8Matmul::Impl {};
Int8Matmul::Int8Matmul(const int8_t*, int64_t, int64_t) { throw std::runtime_error("int8 matmul: built without oneDNN's headers (libdnnl-dev)"); }
Int8Matmul::~Int8Matmul() = default;
bool Int8Matmul::Available() { return false; }
void Int8Matmul::Run(const uint8_t*, int64_t, int32_t*) {}
#endif

}  // namespace hubtune
