// upsample_nearest2x: [N, C, H, W] -> [N, C, 2H, 2W], each input pixel copied to a 2×2 block.
#include "core/error.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor CpuBackend::upsample_nearest2x(const Tensor& x) {
  GLIDE_CHECK(x.rank() == 4, "upsample_nearest2x: input must be [N, C, H, W], got ", shape_str(x.shape()));
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  Tensor y = cpu_tensor({x.dim(0), x.dim(1), 2 * h, 2 * w});
  const float* xp = x.f32();
  float* yp = y.f32();
#pragma omp parallel for schedule(static) if (y.numel() > kParallelElements)
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = xp + p * h * w;
    float* dst = yp + p * 4 * h * w;
    for (int64_t i = 0; i < h; ++i) {
      float* r0 = dst + (2 * i) * 2 * w;
      float* r1 = r0 + 2 * w;
      for (int64_t j = 0; j < w; ++j) {
        const float v = src[i * w + j];
        r0[2 * j] = r0[2 * j + 1] = r1[2 * j] = r1[2 * j + 1] = v;
      }
    }
  }
  return y;
}

}  // namespace glide::cpu
