// GLIDE's text-conditional UNet (Text2ImUNet and its SuperRes / Inpaint / SuperResInpaint variants),
// built from a resolved GlideConfig with weights named by module path:
//   time_embed.{0,2}, input_blocks.<i>.<j>, middle_block.{0,1,2}, output_blocks.<i>.<j>, out.{0,2},
//   plus the text encoder (token_embedding, positional_embedding, padding_embedding, transformer,
//   final_ln, transformer_proj).
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/attention_block.h"
#include "models/glide_config.h"
#include "models/layers.h"
#include "models/text_encoder.h"
#include "models/unet_layer.h"

namespace glide {

/** One UNet call. */
struct UNetInputs {
  Tensor x;                      // [N, c, S, S] noisy image
  std::vector<float> timesteps;  // [N] original-scale timesteps (0..999)
  Tensor low_res;                // super-res: [N, c, s, s], resized bilinearly to S inside the model
  Tensor inpaint_image;          // inpaint: [N, c, S, S] (undefined = zeros)
  Tensor inpaint_mask;           // inpaint: [N, 1, S, S] (undefined = zeros)
};

/** Receives named intermediates (debug hook for per-block comparisons). */
using TraceFn = std::function<void(const std::string& name, const Tensor& value)>;

class GlideUNet {
 public:
  /** Builds the model and loads every weight through `weights` onto `backend`. */
  GlideUNet(const GlideConfig& config, WeightLoader& weights, Backend& backend);

  const GlideConfig& config() const { return config_; }
  Backend& backend() const { return backend_; }
  bool has_text() const { return text_.has_value(); }

  /** Text encoder + every attention block's encoder_kv projection for tokens/mask [N·text_ctx]. */
  TextEmbedding encode_text(const std::vector<int32_t>& tokens, const std::vector<uint8_t>& mask, int64_t batch) const;

  /** -> [N, out_channels, S, S] (ε then v). `text` must match the batch unless the model has no text. */
  Tensor forward(const UNetInputs& in, const TextEmbedding* text, const TraceFn* trace = nullptr) const;

 private:
  using Block = std::vector<std::unique_ptr<UNetLayer>>;

  Tensor model_input(const UNetInputs& in) const;
  Tensor run_block(const Block& block, Tensor h, const LayerContext& ctx) const;
  // Appends an AttentionBlock at `prefix` if blocks at factor `ds` have attention.
  void maybe_add_attention(Block& block, WeightLoader& w, const std::string& prefix, int64_t ds, int64_t ch,
                           bool upsample);

  GlideConfig config_;
  Backend& backend_;
  Linear time_embed_0_;  // time_embed.0: C -> 4C
  Linear time_embed_2_;  // time_embed.2: 4C -> 4C
  std::vector<Block> input_blocks_;
  Block middle_block_;
  std::vector<Block> output_blocks_;
  Norm out_norm_;    // out.0 (GroupNorm + SiLU)
  Conv2d out_conv_;  // out.2
  std::optional<TextEncoder> text_;
  std::vector<const AttentionBlock*> attention_blocks_;  // in TextEmbedding::encoder_kv order
};

}  // namespace glide
