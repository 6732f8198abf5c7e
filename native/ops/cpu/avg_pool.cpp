// avg_pool2x2: [N, C, H, W] -> [N, C, H/2, W/2], mean of each 2×2 block (stride 2, odd edges dropped).
#include "core/error.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor CpuBackend::avg_pool2x2(const Tensor& x) {
  GLIDE_CHECK(x.rank() == 4, "avg_pool2x2: input must be [N, C, H, W], got ", shape_str(x.shape()));
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t ho = h / 2, wo = w / 2;
  GLIDE_CHECK(ho > 0 && wo > 0, "avg_pool2x2: input ", shape_str(x.shape()), " is smaller than 2×2");
  Tensor y = cpu_tensor({x.dim(0), x.dim(1), ho, wo});
  const float* xp = x.f32();
  float* yp = y.f32();
#pragma omp parallel for schedule(static) if (x.numel() > kParallelElements)
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = xp + p * h * w;
    float* dst = yp + p * ho * wo;
    for (int64_t i = 0; i < ho; ++i) {
      const float* r0 = src + 2 * i * w;
      const float* r1 = r0 + w;
      for (int64_t j = 0; j < wo; ++j) dst[i * wo + j] = (r0[2 * j] + r0[2 * j + 1] + r1[2 * j] + r1[2 * j + 1]) * 0.25f;
    }
  }
  return y;
}

}  // namespace glide::cpu
