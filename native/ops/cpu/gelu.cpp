// gelu: exact (erf) form, x·½·(1 + erf(x/√2)), as torch.nn.GELU() by default.
#include <cmath>

#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor CpuBackend::gelu(const Tensor& x) {
  Tensor y = cpu_tensor(x.shape());
  const float* xp = x.f32();
  float* yp = y.f32();
  const int64_t n = x.numel();
  const float inv_sqrt2 = 0.70710678118654752f;
#pragma omp parallel for schedule(static) if (n > kParallelElements)
  for (int64_t i = 0; i < n; ++i) yp[i] = 0.5f * xp[i] * (1.0f + std::erf(xp[i] * inv_sqrt2));
  return y;
}

}  // namespace glide::cpu
