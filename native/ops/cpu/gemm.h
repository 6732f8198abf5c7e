// Single-precision GEMM shared by conv2d, linear and attention: a cache-blocked Goto/BLIS-style
// loop nest around a register-tiled micro-kernel written with GCC vector extensions (the compiler
// picks AVX-512/AVX2/SSE from -march), parallelised with OpenMP.
#pragma once
#include <cstdint>
#include <vector>

#include "ops/cpu/vec_math.h"

namespace glide::cpu {

/** Micro-tile: kGemmMR rows × kGemmNR columns (two native vectors) of C held in registers. */
constexpr int kGemmVec = kVec;
constexpr int kGemmMR = kVec == 16 ? 12 : 6;  // 24 of 32 zmm registers; 12 of 16 ymm/xmm
constexpr int kGemmNR = 2 * kGemmVec;

/** A read-only strided matrix: element (i, j) is data[i * rs + j * cs]. */
struct MatrixView {
  const float* data;
  int64_t rs;
  int64_t cs;
};

/**
 * Supplies the B operand [K, N] of a GEMM tile by tile, so a convolution can feed its input
 * without materialising the whole im2col matrix.
 */
class BPacker {
 public:
  virtual ~BPacker() = default;
  /** Writes B[k0 : k0+kc, n0 : n0+nr] (nr <= kGemmNR) into dst as kc rows of kGemmNR floats,
   *  zero-filling columns nr..kGemmNR. */
  virtual void pack_panel(float* dst, int64_t k0, int64_t kc, int64_t n0, int64_t nr) const = 0;
};

/** BPacker over an ordinary strided matrix. */
class MatrixPacker final : public BPacker {
 public:
  explicit MatrixPacker(MatrixView b) : b_(b) {}
  void pack_panel(float* dst, int64_t k0, int64_t kc, int64_t n0, int64_t nr) const override;

 private:
  MatrixView b_;
};

/** One product of a batched GEMM: its B operand and where its C starts. */
struct GemmItem {
  const BPacker* b;
  float* c;
};

/**
 * C_i[m, n] (row stride ldc) = A[m, k] · B_i[k, n] for every item, added to the existing C_i when
 * `accumulate`. A is packed once and shared by all items (a convolution's weight across images).
 * Uses every OpenMP thread unless called from inside a parallel region (then runs serially, so
 * callers such as attention can parallelise over heads instead).
 */
void sgemm(int64_t m, int64_t n, int64_t k, MatrixView a, const std::vector<GemmItem>& items, int64_t ldc,
           bool accumulate);

/** A single product C[m, n] = A[m, k] · B[k, n] (+ C). */
void sgemm(int64_t m, int64_t n, int64_t k, MatrixView a, const BPacker& b, float* c, int64_t ldc,
           bool accumulate);

/** sgemm with a plain strided B. */
void sgemm(int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, float* c, int64_t ldc,
           bool accumulate);

}  // namespace glide::cpu
