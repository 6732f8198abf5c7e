#include "models/text_encoder.h"

namespace glide {

TextEncoder::TextEncoder(WeightLoader& w, const GlideConfig& c)
    : token_embedding_(w.load("token_embedding.weight", {c.n_vocab, c.xf_width})),
      positional_embedding_(w.load("positional_embedding", {c.text_ctx, c.xf_width})),
      transformer_(w, "transformer", c.xf_width, c.xf_layers, c.xf_heads),
      transformer_proj_(Linear::load(w, "transformer_proj", c.xf_width, 4 * c.num_channels)) {
  if (c.xf_padding) padding_embedding_ = w.load("padding_embedding", {c.text_ctx, c.xf_width});
  if (c.xf_final_ln) final_ln_ = Norm::load(w, "final_ln", c.xf_width);
}

void TextEncoder::forward(Backend& be, const std::vector<int32_t>& tokens, const std::vector<uint8_t>& mask,
                          int64_t batch, Tensor& xf_proj, Tensor& xf_out) const {
  // x: [N, T, W]
  Tensor x = be.token_embedding(token_embedding_, positional_embedding_,
                                padding_embedding_ ? &*padding_embedding_ : nullptr, tokens, mask, batch);
  x = transformer_.forward(be, x);
  if (final_ln_) x = be.layer_norm(x, final_ln_->weight, final_ln_->bias, 1e-5f);
  xf_proj = transformer_proj_(be, be.select(x, 1, -1));
  xf_out = be.transpose_last2(x);
}

}  // namespace glide
