#include "models/clip_text_encoder.h"

#include "core/error.h"

namespace glide {

ClipTextEncoder::ClipTextEncoder(const ClipTextConfig& config, WeightLoader& w)
    : config_(config),
      w_voc_(w.load("blocks.input.w_voc", {config.n_vocab, config.width})),
      w_pos_(w.load("blocks.input.w_pos", {config.max_text_len, config.width})),
      output_ln_(ClipLayerNorm::load(w, "blocks.output.ln", config.width)),
      output_f_(ClipAffine::load(w, "blocks.output.f", config.width, config.n_embd, false)) {
  check(config.heads > 0 && config.width % config.heads == 0, w.file(), ": width ", config.width,
        " is not divisible into ", config.heads, " heads");
  blocks_.reserve(static_cast<size_t>(config.blocks));
  for (int64_t i = 0; i < config.blocks; ++i)
    blocks_.emplace_back(w, "blocks.block_" + std::to_string(i), config.width, config.heads, true);
}

Tensor ClipTextEncoder::forward(Backend& be, const std::vector<int32_t>& tokens, const std::vector<int64_t>& lens) const {
  const int64_t n = static_cast<int64_t>(lens.size()), ctx = config_.max_text_len, width = config_.width;
  check(n > 0, "CLIP text encoder: empty batch");
  check(static_cast<int64_t>(tokens.size()) == n * ctx, "CLIP text encoder: expected ", n, " rows of ", ctx,
        " tokens, got ", tokens.size(), " tokens");
  for (int64_t i = 0; i < n; ++i)
    check(lens[i] >= 1 && lens[i] <= ctx, "CLIP text encoder: length ", lens[i], " of row ", i, " is outside 1…", ctx);
  Tensor h = be.token_embedding(w_voc_, w_pos_, nullptr, tokens, {}, n);  // [N, ctx, W]
  for (const ClipTransformerBlock& block : blocks_) h = block.forward(be, h, nullptr);
  std::vector<Tensor> features;  // the end token of each row
  for (int64_t i = 0; i < n; ++i) features.push_back(be.select(be.select(h, 0, i), 0, lens[i] - 1).reshape({1, width}));
  return output_f_(be, output_ln_(be, be.concat(features, 0)));
}

}  // namespace glide
