// resize_bilinear: [N, C, H, W] -> [N, C, h, w], bilinear with align_corners=False (half-pixel
// centres: src = (dst + ½)·in/out − ½, clamped at 0), no antialiasing — F.interpolate's rule,
// with its float32 index arithmetic.
#include <algorithm>
#include <vector>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {
namespace {

struct Tap {
  int64_t i0, i1;
  float l0, l1;
};

std::vector<Tap> taps(int64_t in, int64_t out) {
  std::vector<Tap> t(static_cast<size_t>(out));
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t o = 0; o < out; ++o) {
    float src = scale * (static_cast<float>(o) + 0.5f) - 0.5f;
    if (src < 0.0f) src = 0.0f;
    const int64_t i0 = static_cast<int64_t>(src);
    const int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
    const float l1 = std::clamp(src - static_cast<float>(i0), 0.0f, 1.0f);
    t[static_cast<size_t>(o)] = Tap{i0, i1, 1.0f - l1, l1};
  }
  return t;
}

}  // namespace

Tensor CpuBackend::resize_bilinear(const Tensor& x, int64_t h, int64_t w) {
  GLIDE_CHECK(x.rank() == 4, "resize_bilinear: input must be [N, C, H, W], got ", shape_str(x.shape()));
  GLIDE_CHECK(h > 0 && w > 0, "resize_bilinear: output size must be positive");
  const int64_t planes = x.dim(0) * x.dim(1), hi = x.dim(2), wi = x.dim(3);
  const std::vector<Tap> ty = taps(hi, h), tx = taps(wi, w);
  Tensor y = cpu_tensor({x.dim(0), x.dim(1), h, w});
  const float* xp = x.f32();
  float* yp = y.f32();
#pragma omp parallel for schedule(static) if (y.numel() > kParallelElements)
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = xp + p * hi * wi;
    float* dst = yp + p * h * w;
    for (int64_t i = 0; i < h; ++i) {
      const Tap& a = ty[static_cast<size_t>(i)];
      const float* r0 = src + a.i0 * wi;
      const float* r1 = src + a.i1 * wi;
      for (int64_t j = 0; j < w; ++j) {
        const Tap& b = tx[static_cast<size_t>(j)];
        dst[i * w + j] = a.l0 * (b.l0 * r0[b.i0] + b.l1 * r0[b.i1]) + a.l1 * (b.l0 * r1[b.i0] + b.l1 * r1[b.i1]);
      }
    }
  }
  return y;
}

}  // namespace glide::cpu
