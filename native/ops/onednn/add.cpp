// add on channels-last activations: a + b with b of the same shape (residual connections) or
// broadcast over space ([N or 1, C, 1, 1]: the time embedding of a ResBlock without scale-shift).
// Row-major float32 operands (text transformer, embeddings) use the portable kernel.
#include <algorithm>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/onednn/dtype_dispatch.h"
#include "ops/onednn/onednn_backend.h"

namespace glide::onednn {
namespace {

// True if b is [1 or N, C, 1, ...] for a of shape [N, C, ...].
bool spatial_broadcast(const Shape& a, const Shape& b) {
  if (b.size() != a.size() || a.size() < 2 || (b[0] != 1 && b[0] != a[0]) || b[1] != a[1]) return false;
  return std::all_of(b.begin() + 2, b.end(), [](int64_t d) { return d == 1; });
}

}  // namespace

Tensor OnednnBackend::add(const Tensor& a_in, const Tensor& b_in) {
  const bool a_plain = a_in.layout() == Layout::RowMajor, b_plain = b_in.layout() == Layout::RowMajor;
  if (a_plain && b_plain) return cpu::cpu_backend().add(plain(a_in), plain(b_in));
  if (a_in.shape() != b_in.shape() && !spatial_broadcast(a_in.shape(), b_in.shape()))
    return activation(cpu::cpu_backend().add(plain(a_in), plain(b_in)));

  const Tensor a = activation(a_in);
  Tensor y = alloc(a.shape(), a.dtype(), Layout::ChannelsLast);
  const int64_t count = a.numel();
  const bool parallel = count > (1 << 15);
  with_element_type(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* ap = data_of<T>(a);
    T* yp = data_of<T>(y);
    if (a.shape() == b_in.shape()) {
      const Tensor b = activation(b_in);
      const T* bp = data_of<T>(b);
      const int64_t vec_end = count / simd::kLanes * simd::kLanes;
#pragma omp parallel for schedule(static) if (parallel)
      for (int64_t i = 0; i < vec_end; i += simd::kLanes) simd::store(yp + i, simd::load(ap + i) + simd::load(bp + i));
      for (int64_t i = vec_end; i < count; ++i) yp[i] = simd::from_float<T>(simd::to_float(ap[i]) + simd::to_float(bp[i]));
      return;
    }
    // b: one value per (sample, channel), added at every position.
    const Tensor b = plain(b_in);
    const float* bp = b.f32();
    const int64_t n = a.dim(0), c = a.dim(1), s = count / (n * c);
    const int64_t b_stride = b.dim(0) == 1 ? 0 : c;
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t row = 0; row < n * s; ++row) {
      const float* bias = bp + (row / s) * b_stride;
      const T* ar = ap + row * c;
      T* yr = yp + row * c;
      for (int64_t c0 = 0; c0 < c; c0 += simd::kLanes) {
        const int lanes = static_cast<int>(std::min<int64_t>(simd::kLanes, c - c0));
        simd::store_part(yr + c0, simd::load_part(ar + c0, lanes) + simd::load_part(bias + c0, lanes), lanes);
      }
    }
  });
  return y;
}

}  // namespace glide::onednn
