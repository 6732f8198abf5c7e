// transpose_last2: [..., A, B] -> [..., B, A]
#include "core/error.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor CpuBackend::transpose_last2(const Tensor& x) {
  GLIDE_CHECK(x.rank() >= 2, "transpose_last2: rank must be at least 2");
  const int64_t a = x.dim(-2), b = x.dim(-1);
  const int64_t batch = x.numel() / (a * b);
  Shape shape = x.shape();
  shape[shape.size() - 2] = b;
  shape[shape.size() - 1] = a;
  Tensor y = cpu_tensor(shape);
  const float* xp = x.f32();
  float* yp = y.f32();
#pragma omp parallel for schedule(static) if (x.numel() > kParallelElements)
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t i = 0; i < a; ++i)
      for (int64_t j = 0; j < b; ++j) yp[n * a * b + j * a + i] = xp[n * a * b + i * b + j];
  return y;
}

}  // namespace glide::cpu
