// upsample_nearest2x on channels-last activations: [N, C, H, W] -> [N, C, 2H, 2W], each output position
// a copy of its source position's channel run.
#include <cstring>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/onednn/onednn_backend.h"

namespace glide::onednn {

Tensor OnednnBackend::upsample_nearest2x(const Tensor& x_in) {
  if (x_in.layout() == Layout::RowMajor) return cpu::cpu_backend().upsample_nearest2x(plain(x_in));
  GLIDE_CHECK(x_in.rank() == 4, "upsample_nearest2x: input must be [N, C, H, W], got ", shape_str(x_in.shape()));
  const Tensor x = activation(x_in);
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  Tensor y = alloc({n, c, 2 * h, 2 * w}, x.dtype(), Layout::ChannelsLast);
  const size_t run = static_cast<size_t>(c) * dtype_size(x.dtype());
  const auto* xp = static_cast<const uint8_t*>(x.raw());
  auto* yp = static_cast<uint8_t*>(y.raw());
#pragma omp parallel for schedule(static) if (y.numel() > (1 << 15))
  for (int64_t row = 0; row < n * 2 * h; ++row) {
    const int64_t b = row / (2 * h), oy = row % (2 * h);
    const uint8_t* src = xp + ((b * h + oy / 2) * w) * run;
    uint8_t* dst = yp + row * 2 * w * run;
    for (int64_t ox = 0; ox < 2 * w; ++ox) std::memcpy(dst + ox * run, src + (ox / 2) * run, run);
  }
  return y;
}

}  // namespace glide::onednn
