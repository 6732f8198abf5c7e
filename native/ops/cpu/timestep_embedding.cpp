// timestep_embedding: t [N] -> [N, dim] = [cos(t·f_i), sin(t·f_i)] with f_i = exp(−ln(10000)·i/half),
// i < half = dim/2 (a zero column is appended for odd dim). Each step is rounded to float32 as
// the reference computes it (its arguments reach ~1000 rad, where rounding order is visible).
#include <cmath>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor CpuBackend::timestep_embedding(const std::vector<float>& timesteps, int64_t dim) {
  GLIDE_CHECK(dim > 0, "timestep_embedding: dim must be positive");
  const int64_t n = static_cast<int64_t>(timesteps.size());
  const int64_t half = dim / 2;
  Tensor y = cpu_tensor({n, dim});
  float* yp = y.f32();
  const float neg_log_period = static_cast<float>(-std::log(10000.0));
  for (int64_t b = 0; b < n; ++b) {
    float* row = yp + b * dim;
    for (int64_t i = 0; i < half; ++i) {
      const float exponent = (neg_log_period * static_cast<float>(i)) / static_cast<float>(half);
      const float freq = std::exp(exponent);
      const float arg = timesteps[static_cast<size_t>(b)] * freq;
      row[i] = static_cast<float>(std::cos(static_cast<double>(arg)));
      row[half + i] = static_cast<float>(std::sin(static_cast<double>(arg)));
    }
    if (dim % 2) row[dim - 1] = 0.0f;
  }
  return y;
}

}  // namespace glide::cpu
