// Shared loop for elementwise binary ops with broadcasting of the second operand (add, mul).
#pragma once
#include <vector>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

/** out = op(a, b) with b broadcast to a's shape: same rank, each b dim equal to a's or 1. */
template <typename Op>
Tensor broadcast_binary(const char* name, const Tensor& a, const Tensor& b, Op op) {
  GLIDE_CHECK(a.rank() == b.rank(), name, ": ranks differ (", shape_str(a.shape()), " vs ", shape_str(b.shape()), ")");
  const int r = a.rank();
  std::vector<int64_t> bstride(r, 0);
  int64_t stride = 1;
  for (int i = r - 1; i >= 0; --i) {
    GLIDE_CHECK(b.dim(i) == a.dim(i) || b.dim(i) == 1, name, ": cannot broadcast ", shape_str(b.shape()), " to ",
          shape_str(a.shape()));
    bstride[i] = b.dim(i) == 1 ? 0 : stride;
    stride *= b.dim(i);
  }
  Tensor out = cpu_tensor(a.shape());
  const float* ap = a.f32();
  const float* bp = b.f32();
  float* op_ = out.f32();
  const int64_t inner = r == 0 ? 1 : a.dim(r - 1);
  const int64_t rows = inner == 0 ? 0 : a.numel() / inner;
  const int64_t binner = r == 0 ? 0 : bstride[r - 1];

#pragma omp parallel for schedule(static) if (a.numel() > kParallelElements)
  for (int64_t row = 0; row < rows; ++row) {
    // Offset of this row in b: decompose the row index over the outer dimensions.
    int64_t boff = 0;
    int64_t rest = row;
    for (int i = r - 2; i >= 0; --i) {
      boff += (rest % a.dim(i)) * bstride[i];
      rest /= a.dim(i);
    }
    const float* x = ap + row * inner;
    const float* y = bp + boff;
    float* z = op_ + row * inner;
    if (binner == 0) {
      const float yv = y[0];
      for (int64_t j = 0; j < inner; ++j) z[j] = op(x[j], yv);
    } else {
      for (int64_t j = 0; j < inner; ++j) z[j] = op(x[j], y[j]);
    }
  }
  return out;
}

}  // namespace glide::cpu
