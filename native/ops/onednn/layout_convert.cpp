// Layout/dtype conversions (see layout_convert.h). They run at the model's edges only (the input image,
// the text keys, downloads), so plain tiled loops suffice: a tile of 64 positions × C channels stays
// in cache while it is transposed.
#include "ops/onednn/layout_convert.h"

#include <algorithm>

namespace glide::onednn {
namespace {
constexpr int64_t kTile = 64;
constexpr int64_t kParallelElements = 1 << 15;
}  // namespace

template <typename Src, typename Dst>
void to_channels_last(const Src* src, Dst* dst, int64_t n, int64_t c, int64_t s) {
  const int64_t tiles = (s + kTile - 1) / kTile;
#pragma omp parallel for schedule(static) if (n * c * s > kParallelElements)
  for (int64_t task = 0; task < n * tiles; ++task) {
    const int64_t b = task / tiles, s0 = (task % tiles) * kTile, s1 = std::min(s, s0 + kTile);
    const Src* in = src + b * c * s;
    Dst* out = dst + b * s * c;
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = s0; p < s1; ++p) out[p * c + ch] = simd::from_float<Dst>(simd::to_float(in[ch * s + p]));
  }
}

template <typename Src, typename Dst>
void to_channels_first(const Src* src, Dst* dst, int64_t n, int64_t c, int64_t s) {
  const int64_t tiles = (s + kTile - 1) / kTile;
#pragma omp parallel for schedule(static) if (n * c * s > kParallelElements)
  for (int64_t task = 0; task < n * tiles; ++task) {
    const int64_t b = task / tiles, s0 = (task % tiles) * kTile, s1 = std::min(s, s0 + kTile);
    const Src* in = src + b * s * c;
    Dst* out = dst + b * c * s;
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = s0; p < s1; ++p) out[ch * s + p] = simd::from_float<Dst>(simd::to_float(in[p * c + ch]));
  }
}

template <typename Src, typename Dst>
void convert(const Src* src, Dst* dst, int64_t count) {
  const int64_t vec_end = count / simd::kLanes * simd::kLanes;
#pragma omp parallel for schedule(static) if (count > kParallelElements)
  for (int64_t i = 0; i < vec_end; i += simd::kLanes) simd::store(dst + i, simd::load(src + i));
  for (int64_t i = vec_end; i < count; ++i) dst[i] = simd::from_float<Dst>(simd::to_float(src[i]));
}

#define GLIDE_INSTANTIATE(S, D)                                                     \
  template void to_channels_last<S, D>(const S*, D*, int64_t, int64_t, int64_t);  \
  template void to_channels_first<S, D>(const S*, D*, int64_t, int64_t, int64_t); \
  template void convert<S, D>(const S*, D*, int64_t);
GLIDE_INSTANTIATE(float, float)
GLIDE_INSTANTIATE(float, simd::bf16)
GLIDE_INSTANTIATE(simd::bf16, float)
GLIDE_INSTANTIATE(simd::bf16, simd::bf16)
#undef GLIDE_INSTANTIATE

}  // namespace glide::onednn
