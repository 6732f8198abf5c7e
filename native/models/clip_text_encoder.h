// The noised CLIP text encoder (glide_text2im/clip TextEncoder, checkpoint `clip_text_enc.pt`):
//   tokens [N, max_text_len] -> w_voc[token] + w_pos [blocks.input] -> blocks.block_<i> (causal attention)
//   -> the feature at position len−1 (the end token) -> LayerNorm [blocks.output.ln] -> f [blocks.output.f,
//   no bias] -> z [N, n_embd]. Causality is why the padding after the end token never matters.
#pragma once
#include <vector>

#include "models/clip_block.h"
#include "models/clip_config.h"

namespace glide {

class ClipTextEncoder {
 public:
  ClipTextEncoder(const ClipTextConfig& config, WeightLoader& w);
  const ClipTextConfig& config() const { return config_; }

  /** tokens [N, max_text_len] row-major, lens N (1 … max_text_len, start and end tokens included) -> z [N, n_embd]. */
  Tensor forward(Backend& be, const std::vector<int32_t>& tokens, const std::vector<int64_t>& lens) const;

 private:
  ClipTextConfig config_;
  Tensor w_voc_;  // blocks.input.w_voc [n_vocab, W]
  Tensor w_pos_;  // blocks.input.w_pos [max_text_len, W]
  std::vector<ClipTransformerBlock> blocks_;
  ClipLayerNorm output_ln_;
  ClipAffine output_f_;
};

}  // namespace glide
