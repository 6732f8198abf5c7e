// avg_pool2x2 on channels-last activations: [N, C, H, W] -> [N, C, H/2, W/2], the mean of each 2×2
// window per channel, vectorised along the channel run.
#include <algorithm>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/onednn/dtype_dispatch.h"
#include "ops/onednn/onednn_backend.h"

namespace glide::onednn {

Tensor OnednnBackend::avg_pool2x2(const Tensor& x_in) {
  if (x_in.layout() == Layout::RowMajor) return cpu::cpu_backend().avg_pool2x2(plain(x_in));
  GLIDE_CHECK(x_in.rank() == 4, "avg_pool2x2: input must be [N, C, H, W], got ", shape_str(x_in.shape()));
  const Tensor x = activation(x_in);
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), ho = h / 2, wo = w / 2;
  Tensor y = alloc({n, c, ho, wo}, x.dtype(), Layout::ChannelsLast);
  with_element_type(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = data_of<T>(x);
    T* yp = data_of<T>(y);
    const simd::vf quarter = simd::set1(0.25f);
#pragma omp parallel for schedule(static) if (y.numel() > (1 << 15))
    for (int64_t row = 0; row < n * ho; ++row) {
      const int64_t b = row / ho, oy = row % ho;
      const T* top = xp + ((b * h + 2 * oy) * w) * c;
      const T* bottom = top + w * c;
      for (int64_t ox = 0; ox < wo; ++ox) {
        T* dst = yp + (row * wo + ox) * c;
        for (int64_t c0 = 0; c0 < c; c0 += simd::kLanes) {
          const int lanes = static_cast<int>(std::min<int64_t>(simd::kLanes, c - c0));
          const int64_t l = 2 * ox * c + c0, r = l + c;
          const simd::vf sum = simd::load_part(top + l, lanes) + simd::load_part(top + r, lanes) +
                               simd::load_part(bottom + l, lanes) + simd::load_part(bottom + r, lanes);
          simd::store_part(dst + c0, sum * quarter, lanes);
        }
      }
    }
  });
  return y;
}

}  // namespace glide::onednn
