// concat: parts [..., C_i, ...] joined along `axis` -> [..., ΣC_i, ...]
#include <cstring>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor CpuBackend::concat(const std::vector<Tensor>& parts, int axis) {
  GLIDE_CHECK(!parts.empty(), "concat: no inputs");
  const int r = parts[0].rank();
  if (axis < 0) axis += r;
  GLIDE_CHECK(axis >= 0 && axis < r, "concat: axis out of range");
  Shape shape = parts[0].shape();
  shape[axis] = 0;
  for (const Tensor& p : parts) {
    GLIDE_CHECK(p.rank() == r, "concat: ranks differ");
    for (int i = 0; i < r; ++i)
      GLIDE_CHECK(i == axis || p.dim(i) == parts[0].dim(i), "concat: ", shape_str(p.shape()), " does not match ",
            shape_str(parts[0].shape()), " outside axis ", axis);
    shape[axis] += p.dim(axis);
  }
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape[i];
  for (int i = axis + 1; i < r; ++i) inner *= shape[i];
  Tensor out = cpu_tensor(shape);
  float* op = out.f32();
  const int64_t out_row = shape[axis] * inner;
  int64_t offset = 0;
  for (const Tensor& p : parts) {
    const int64_t row = p.dim(axis) * inner;
    const float* src = p.f32();
#pragma omp parallel for schedule(static) if (outer * row > kParallelElements)
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(op + o * out_row + offset, src + o * row, static_cast<size_t>(row) * sizeof(float));
    offset += row;
  }
  return out;
}

}  // namespace glide::cpu
