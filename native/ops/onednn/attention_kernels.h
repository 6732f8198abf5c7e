// Shared by the attention kernels (attention.cpp: float32 FMA, attention_bf16.cpp: AVX512-BF16 dot
// products): the problem geometry and the tiling constants.
#pragma once
#include <cstdint>

#include "ops/onednn/simd.h"

namespace glide::onednn {

constexpr int kRows = 6;           // queries per micro-tile (6 × 4 accumulators + 4 loads fit 32 registers)
constexpr int kVecs = 4;           // 16-lane vectors per micro-tile column block (64 keys or channels)
constexpr int64_t kTaskRows = 48;  // queries per parallel task

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/** One attention call: N samples × heads, L queries of d channels, T text keys then the L positions. */
struct Geometry {
  int64_t n, heads, d, len, t;  // t = text keys
  int64_t s, s_pad, d_pad;      // keys, padded to the vector width
  int64_t width;                // qkv channels per position (heads·3·d)
};

#if defined(GLIDE_AVX512) && defined(__AVX512BF16__)
// Compiled for AVX512-BF16: bf16 attention uses its dot-product kernel.
#define GLIDE_BF16_ATTENTION 1
/** Attention on bf16 qkv [N, L, width] (+ prefix [N, T, 2·heads·d]) -> dst [N, L, heads·d], with bf16 dot
 *  products accumulating in float32 and a float32 softmax. */
void run_attention_bf16(const Geometry& g, const simd::bf16* qkv, const simd::bf16* prefix, simd::bf16* dst);
#endif

}  // namespace glide::onednn
