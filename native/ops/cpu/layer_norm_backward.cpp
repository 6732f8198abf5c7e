// layer_norm_backward: input gradient of y = x̂·γ + β, x̂ = (x − mean)·rstd over the last dimension:
//   dx = rstd · (g − mean(g) − x̂·mean(g·x̂)),  g = dy·γ
// mean and rstd are recomputed from x exactly as the forward computes them (double accumulation).
#include <cmath>

#include "core/error.h"
#include "ops/cpu/backward.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor layer_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& dy, float eps) {
  check(x.rank() >= 1 && x.shape() == dy.shape(), "layer_norm_backward: input ", shape_str(x.shape()),
        " and gradient ", shape_str(dy.shape()), " differ");
  const int64_t w = x.dim(-1);
  check(gamma.numel() == w, "layer_norm_backward: weight must have ", w, " elements");
  const int64_t rows = x.numel() / w;
  Tensor dx = cpu_tensor(x.shape());
  const float *xp = x.f32(), *gp = gamma.f32(), *dyp = dy.f32();
  float* dxp = dx.f32();

#pragma omp parallel for schedule(static) if (x.numel() > kParallelElements)
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = xp + r * w;
    const float* grad = dyp + r * w;
    float* dst = dxp + r * w;
    double sum = 0.0;
    for (int64_t i = 0; i < w; ++i) sum += src[i];
    const double mean = sum / static_cast<double>(w);
    double var = 0.0;
    for (int64_t i = 0; i < w; ++i) {
      const double d = src[i] - mean;
      var += d * d;
    }
    const double rstd = 1.0 / std::sqrt(var / static_cast<double>(w) + static_cast<double>(eps));
    double g_mean = 0.0, gx_mean = 0.0;
    for (int64_t i = 0; i < w; ++i) {
      const double g = static_cast<double>(grad[i]) * gp[i];
      g_mean += g;
      gx_mean += g * (src[i] - mean) * rstd;
    }
    g_mean /= static_cast<double>(w);
    gx_mean /= static_cast<double>(w);
    for (int64_t i = 0; i < w; ++i) {
      const double xhat = (src[i] - mean) * rstd;
      dst[i] = static_cast<float>(rstd * (static_cast<double>(grad[i]) * gp[i] - g_mean - xhat * gx_mean));
    }
  }
  return dx;
}

}  // namespace glide::cpu
