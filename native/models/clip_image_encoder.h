// The noised CLIP image encoder (glide_text2im/clip ImageEncoder, checkpoint `clip_image_enc.pt`):
//   x [N, 3, S, S] in [-1, 1] -> ((x+1)·127.5 − mean_c)/std_c -> 4×4 (patch_size) patches, conv without
//   bias [blocks.input.patch_proj] -> tokens [N, (S/p)², W], row-major patch order; a timestep token
//   w_t[t] [blocks.input.w_t] in front; + w_pos; LayerNorm [blocks.input.ln] -> blocks.block_<i> (full
//   attention) -> token 0 -> LayerNorm [blocks.output.ln] -> f [blocks.output.f, no bias] -> z [N, n_embd].
// `gradient` runs that forward keeping the activations, then the reverse pass to the pixels.
#pragma once
#include <vector>

#include "models/clip_block.h"
#include "models/clip_config.h"

namespace glide {

class ClipImageEncoder {
 public:
  ClipImageEncoder(const ClipImageConfig& config, WeightLoader& w);
  const ClipImageConfig& config() const { return config_; }

  /** x [N, 3, S, S] row-major in model space, timesteps N (0 … n_timesteps−1) -> z [N, n_embd], unnormalised. */
  Tensor forward(Backend& be, const std::vector<float>& x, const std::vector<int64_t>& timesteps) const;

  /**
   * grad_scale · ∂/∂x [logit_scale · Σ_n text[n] · ẑ_n(x)] with ẑ the L2-normalised image embedding and
   * text [N, n_embd] (normalised text embeddings, one row per image) -> [N, 3, S, S].
   */
  std::vector<float> gradient(Backend& be, const std::vector<float>& x, const std::vector<int64_t>& timesteps,
                              const std::vector<float>& text, float logit_scale, float grad_scale) const;

 private:
  struct Trace;
  // The forward; fills `trace` (activations for the reverse pass) when given.
  Tensor run(Backend& be, const std::vector<float>& x, const std::vector<int64_t>& timesteps, Trace* trace) const;
  void check_inputs(const std::vector<float>& x, const std::vector<int64_t>& timesteps) const;

  ClipImageConfig config_;
  Tensor w_t_;         // blocks.input.w_t [n_timesteps, W]
  Tensor patch_proj_;  // blocks.input.patch_proj [W, 3, p, p]
  Tensor w_pos_;       // blocks.input.w_pos [1 + (S/p)², W]
  ClipLayerNorm input_ln_;
  std::vector<ClipTransformerBlock> blocks_;
  ClipLayerNorm output_ln_;
  ClipAffine output_f_;
};

}  // namespace glide
