// Element-type and memory-order conversions between row-major [N, C, S] and channels-last [N, S, C]
// tensors (S = product of the spatial dimensions), float32 or bfloat16 on either side.
#pragma once
#include <cstdint>

#include "ops/onednn/simd.h"

namespace glide::onednn {

/** dst[n][s][c] = src[n][c][s] */
template <typename Src, typename Dst>
void to_channels_last(const Src* src, Dst* dst, int64_t n, int64_t c, int64_t s);
/** dst[n][c][s] = src[n][s][c] */
template <typename Src, typename Dst>
void to_channels_first(const Src* src, Dst* dst, int64_t n, int64_t c, int64_t s);
/** dst[i] = src[i] in another element type. */
template <typename Src, typename Dst>
void convert(const Src* src, Dst* dst, int64_t count);

}  // namespace glide::onednn
