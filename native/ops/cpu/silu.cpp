// silu: x·sigmoid(x) = x / (1 + e^(−x))
#include <cmath>

#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor CpuBackend::silu(const Tensor& x) {
  Tensor y = cpu_tensor(x.shape());
  const float* xp = x.f32();
  float* yp = y.f32();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static) if (n > kParallelElements)
  for (int64_t i = 0; i < n; ++i) yp[i] = xp[i] / (1.0f + std::exp(-xp[i]));
  return y;
}

}  // namespace glide::cpu
