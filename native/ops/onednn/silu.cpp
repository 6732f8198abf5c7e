// silu: x·sigmoid(x). Channels-last activations elementwise in place of the portable kernel's float32.
#include "ops/cpu/cpu_backend.h"
#include "ops/onednn/dtype_dispatch.h"
#include "ops/onednn/onednn_backend.h"

namespace glide::onednn {

Tensor OnednnBackend::silu(const Tensor& x) {
  if (x.layout() != Layout::ChannelsLast) return cpu::cpu_backend().silu(plain(x));
  Tensor y = alloc(x.shape(), x.dtype(), Layout::ChannelsLast);
  const int64_t count = x.numel();
  with_element_type(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = data_of<T>(x);
    T* yp = data_of<T>(y);
    const int64_t vec_end = count / simd::kLanes * simd::kLanes;
#pragma omp parallel for schedule(static) if (count > (1 << 15))
    for (int64_t i = 0; i < vec_end; i += simd::kLanes) simd::store(yp + i, simd::silu(simd::load(xp + i)));
    if (vec_end < count) {
      const int lanes = static_cast<int>(count - vec_end);
      simd::store_part(yp + vec_end, simd::silu(simd::load_part(xp + vec_end, lanes)), lanes);
    }
  });
  return y;
}

}  // namespace glide::onednn
