// One block of the noised CLIP transformers (`blocks.block_<i>`), pre-LN and residual:
//   h = x + f_attn.f_c(attention(f_q(a), f_k(a), f_v(a)))   a = f_attn.ln(x); f_k has no bias
//   y = h + f_mlp.f_2(GELU(f_mlp.f_1(f_mlp.ln(h))))         hidden width 4W
// The image encoder's attention is full, the text encoder's causal.
#pragma once
#include <string>

#include "models/clip_layers.h"

namespace glide {

/** What one block's forward keeps for its backward: [N, L, W] except hidden [N, L, 4W]. */
struct ClipBlockActivations {
  Tensor x;       // block input
  Tensor q, k, v;  // attention inputs
  Tensor attn;    // attention output (before f_c)
  Tensor h;       // after the attention residual
  Tensor hidden;  // f_1 output (before GELU)
};

class ClipTransformerBlock {
 public:
  ClipTransformerBlock(WeightLoader& w, const std::string& prefix, int64_t width, int64_t heads, bool causal);
  // x [N, L, W] -> [N, L, W]; fills `saved` when given (gradient path)
  Tensor forward(Backend& be, const Tensor& x, ClipBlockActivations* saved) const;
  // dy = ∂/∂y -> ∂/∂x (CPU), from the activations of the matching forward
  Tensor backward(const ClipBlockActivations& saved, const Tensor& dy) const;

 private:
  ClipLayerNorm attn_ln_;  // f_attn.ln
  ClipAffine f_q_, f_k_, f_v_, f_c_;
  ClipLayerNorm mlp_ln_;  // f_mlp.ln
  ClipAffine f_1_, f_2_;
  int heads_;
  bool causal_;
};

}  // namespace glide
