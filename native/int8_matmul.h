// Integer products of dynamic int8 linear layers on oneDNN's matmul primitive (brgemm VNNI kernels),
// weights reordered once into the primitive's layout. Built where oneDNN's headers are
// (libdnnl-dev, HUBTUNE_DNNL); elsewhere Available() is false and quantized.cc uses the gemm function.
#pragma once
#include <cstdint>
#include <memory>

namespace hubtune {

class Int8Matmul {
 public:
  // w: int8 [n, k] row-major, owned by the caller and alive as long as this (reordered copies are made here)
  Int8Matmul(const int8_t* w, int64_t n, int64_t k);
  ~Int8Matmul();
  // acc[rows, n] = a[rows, k] · wᵀ in int32, no zero points (rows: from PaddedRows)
  void Run(const uint8_t* a, int64_t rows, int32_t* acc);
  static bool Available();
  // rows are padded to a few sizes so that varying sequence lengths reuse compiled kernels
  static int64_t PaddedRows(int64_t rows);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hubtune
