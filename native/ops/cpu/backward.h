// Reverse-mode (input-gradient) CPU ops, used by the CLIP guidance gradient. Each takes the forward op's
// inputs (whatever it must recompute) and the gradient of its output, and returns the gradient of its
// input; weight gradients are never needed here. One op per file, named <op>_backward.cpp.
#pragma once
#include "core/tensor.h"

namespace glide::cpu {

/** linear: dy [..., O], w [O, K] -> dx [..., K] = dy · w. */
Tensor linear_backward(const Tensor& dy, const Tensor& w);

/** layer_norm over the last dimension: x [..., W] (the forward input), gamma [W], dy [..., W] -> dx. */
Tensor layer_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& dy, float eps);

/** gelu (erf form): x (the forward input), dy -> dx = dy · (Φ(x) + x·φ(x)). */
Tensor gelu_backward(const Tensor& x, const Tensor& dy);

/**
 * conv2d without dilation: dy [N, O, H', W'], w [O, C, kh, kw] -> dx [N, C, H, W] (`input_shape`), for
 * the forward's stride and zero padding.
 */
Tensor conv2d_backward(const Tensor& dy, const Tensor& w, const Shape& input_shape, int stride, int pad);

/**
 * self_attention (Backend::self_attention): q, k, v and the forward output `out` [N, L, heads·d], dout
 * -> dq, dk, dv. The probabilities are recomputed from q and k rather than stored.
 */
void self_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                             const Tensor& dout, int heads, bool causal, Tensor& dq, Tensor& dk, Tensor& dv);

}  // namespace glide::cpu
