// Pieces of the CLIP self-attention that its backward pass (self_attention_backward.cpp) recomputes:
// per (sample, head) gathering and the masked softmax probabilities.
#pragma once
#include <cstdint>

namespace glide::cpu {

/** Geometry of q/k/v [N, L, heads·d] tensors. */
struct HeadLayout {
  int64_t batch, len, heads, d;
  int64_t width() const { return heads * d; }
};

/** Copies head h of sample n of x [N, L, heads·d] into dst [L, d], multiplied by `scale`. */
void gather_head(const float* x, const HeadLayout& g, int64_t n, int64_t h, float scale, float* dst);
/** Writes src [L, d] into head h of sample n of x [N, L, heads·d]. */
void scatter_head(const float* src, const HeadLayout& g, int64_t n, int64_t h, float* x);

/**
 * p [L, L] = softmax over keys of q·kᵀ for already-scaled q, k [L, d]; with `causal`, entries above the
 * diagonal are exactly 0 (the reference's additive -1e10 underflows to 0 the same way).
 */
void attention_probabilities(const float* q, const float* k, int64_t len, int64_t d, bool causal, float* p);

/** d^(-1/4): the reference scales q and k each by sqrt(1/sqrt(d)). */
float qk_scale(int64_t d);

}  // namespace glide::cpu
