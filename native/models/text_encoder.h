// The UNet's text encoder (Text2ImUNet.get_text_emb): `token_embedding`, `positional_embedding`,
// `padding_embedding`, `transformer`, `final_ln`, `transformer_proj`.
#pragma once
#include <optional>
#include <vector>

#include "models/glide_config.h"
#include "models/layers.h"
#include "models/transformer.h"

namespace glide {

class TextEncoder {
 public:
  TextEncoder(WeightLoader& w, const GlideConfig& config);
  /**
   * tokens/mask [N·T] row-major (T = text_ctx) -> xf_proj [N, 4C] (projection of the LAST position,
   * which is padding for short prompts — as the reference does) and xf_out [N, W, T].
   */
  void forward(Backend& be, const std::vector<int32_t>& tokens, const std::vector<uint8_t>& mask, int64_t batch,
               Tensor& xf_proj, Tensor& xf_out) const;

 private:
  Tensor token_embedding_;                // token_embedding.weight [n_vocab, W]
  Tensor positional_embedding_;           // [T, W]
  std::optional<Tensor> padding_embedding_;  // [T, W] (xf_padding)
  Transformer transformer_;
  std::optional<Norm> final_ln_;          // xf_final_ln
  Linear transformer_proj_;               // W -> 4C
};

}  // namespace glide
