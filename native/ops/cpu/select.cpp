// select: x [..., D, ...] at index i of `axis` -> [..., ...] (that axis removed)
#include <cstring>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor CpuBackend::select(const Tensor& x, int axis, int64_t index) {
  const int r = x.rank();
  if (axis < 0) axis += r;
  GLIDE_CHECK(axis >= 0 && axis < r, "select: axis out of range for ", shape_str(x.shape()));
  if (index < 0) index += x.dim(axis);
  GLIDE_CHECK(index >= 0 && index < x.dim(axis), "select: index out of range for ", shape_str(x.shape()));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= x.dim(i);
  for (int i = axis + 1; i < r; ++i) inner *= x.dim(i);
  Shape shape = x.shape();
  shape.erase(shape.begin() + axis);
  Tensor y = cpu_tensor(shape);
  const float* xp = x.f32();
  float* yp = y.f32();
  const int64_t d = x.dim(axis);
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(yp + o * inner, xp + (o * d + index) * inner, static_cast<size_t>(inner) * sizeof(float));
  return y;
}

}  // namespace glide::cpu
