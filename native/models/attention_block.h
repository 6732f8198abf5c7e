// AttentionBlock (`<prefix>.norm / qkv / encoder_kv / proj_out`): x + proj_out(attention(qkv(GN(x)),
// encoder_kv(xf_out))), spatial positions flattened to L = H·W; the text keys/values are prepended.
#pragma once
#include <string>

#include "models/layers.h"
#include "models/unet_layer.h"

namespace glide {

class AttentionBlock final : public UNetLayer {
 public:
  /** `index`: this block's slot in TextEmbedding::encoder_kv; `encoder_channels` 0 = no text. */
  AttentionBlock(WeightLoader& w, const std::string& prefix, int64_t channels, int64_t heads,
                 int64_t encoder_channels, size_t index);
  /** The text keys/values of this block: xf_out [N, W, T] -> [N, 2·channels, T]. */
  Tensor encode_text(Backend& be, const Tensor& xf_out) const { return encoder_kv_.conv1d(be, xf_out); }
  // x [N, C, H, W] -> [N, C, H, W]
  Tensor forward(Backend& be, const Tensor& x, const LayerContext& ctx) const override;
  bool has_encoder_kv() const { return has_encoder_kv_; }

 private:
  Norm norm_;          // norm
  Conv2d qkv_;         // qkv (Conv1d, channels -> 3·channels)
  Conv2d encoder_kv_;  // encoder_kv (Conv1d, xf_width -> 2·channels)
  Conv2d proj_out_;    // proj_out (Conv1d)
  int64_t heads_;
  bool has_encoder_kv_;
  size_t index_;
};

}  // namespace glide
