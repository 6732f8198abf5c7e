// gelu_backward: input gradient of the exact GELU x·Φ(x): dx = dy · (Φ(x) + x·φ(x)),
// Φ(x) = ½(1 + erf(x/√2)), φ(x) = exp(−x²/2)/√(2π).
#include <cmath>

#include "core/error.h"
#include "ops/cpu/backward.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor gelu_backward(const Tensor& x, const Tensor& dy) {
  check(x.shape() == dy.shape(), "gelu_backward: input ", shape_str(x.shape()), " and gradient ", shape_str(dy.shape()),
        " differ");
  Tensor dx = cpu_tensor(x.shape());
  const float *xp = x.f32(), *dyp = dy.f32();
  float* dxp = dx.f32();
  const int64_t n = x.numel();
  const float inv_sqrt2 = 0.70710678118654752f;
  const float inv_sqrt_2pi = 0.39894228040143268f;
#pragma omp parallel for schedule(static) if (n > kParallelElements)
  for (int64_t i = 0; i < n; ++i) {
    const float v = xp[i];
    const float cdf = 0.5f * (1.0f + std::erf(v * inv_sqrt2));
    const float pdf = inv_sqrt_2pi * std::exp(-0.5f * v * v);
    dxp[i] = dyp[i] * (cdf + v * pdf);
  }
  return dx;
}

}  // namespace glide::cpu
