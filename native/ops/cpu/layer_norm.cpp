// layer_norm: x [..., W] normalised over the last dimension (eps inside the square root), ·gamma + beta.
#include <cmath>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/cpu/vec_math.h"

namespace glide::cpu {

Tensor CpuBackend::layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  GLIDE_CHECK(x.rank() >= 1, "layer_norm: input must have at least one dimension");
  const int64_t w = x.dim(-1);
  GLIDE_CHECK(gamma.numel() == w && beta.numel() == w, "layer_norm: weight/bias must have ", w, " elements");
  const int64_t rows = x.numel() / w;
  Tensor y = cpu_tensor(x.shape());
  const float* xp = x.f32();
  float* yp = y.f32();
  const float* gp = gamma.f32();
  const float* bp = beta.f32();

#pragma omp parallel for schedule(static) if (x.numel() > kParallelElements)
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = xp + r * w;
    float* dst = yp + r * w;
    const double mean = sum_of(src, w) / static_cast<double>(w);
    const double var = centered_square_sum(src, w, mean);
    const double rstd = 1.0 / std::sqrt(var / static_cast<double>(w) + static_cast<double>(eps));
    for (int64_t i = 0; i < w; ++i) dst[i] = static_cast<float>((src[i] - mean) * rstd) * gp[i] + bp[i];
  }
  return y;
}

}  // namespace glide::cpu
