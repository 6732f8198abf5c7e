// The resolved options of a GLIDE UNet under their official names (`model_and_diffusion_defaults`),
// as src/checkpoint's resolveGlideConfig produces them.
#pragma once
#include <cstdint>
#include <vector>

namespace glide {

struct GlideConfig {
  int64_t num_channels = 0;  // C (model_channels)
  int64_t num_res_blocks = 0;
  std::vector<int64_t> channel_mult;
  int64_t num_heads = 1;
  int64_t num_head_channels = -1;   // -1: heads come from num_heads / num_heads_upsample
  int64_t num_heads_upsample = -1;  // -1: same as num_heads
  std::vector<int64_t> attention_resolutions;  // pixels; ds = image_size / resolution
  int64_t image_size = 0;
  int64_t text_ctx = 0;
  int64_t xf_width = 0;  // 0: no text conditioning
  int64_t xf_layers = 0;
  int64_t xf_heads = 1;
  bool xf_final_ln = true;
  bool xf_padding = true;
  bool use_scale_shift_norm = true;
  bool resblock_updown = true;
  bool inpaint = false;
  bool super_res = false;
  int64_t n_vocab = 0;
  int64_t in_channels = 0;   // first conv's input channels as stored (3, 6, 7 or 10)
  int64_t out_channels = 0;  // 6: ε and the variance interpolation v

  /** Channels of x (and of the output's ε half): in_channels = x + [inpaint: x + 1] + [super_res: x]. */
  int64_t image_channels() const {
    return (in_channels - (inpaint ? 1 : 0)) / (1 + (inpaint ? 1 : 0) + (super_res ? 1 : 0));
  }
  /** Whether blocks at downsample factor `ds` carry attention. */
  bool attention_at(int64_t ds) const {
    for (int64_t res : attention_resolutions)
      if (res > 0 && image_size / res == ds) return true;
    return false;
  }
  /** Heads of an attention block with `channels` channels (`upsample`: an output-side block). */
  int64_t attention_heads(int64_t channels, bool upsample) const {
    if (num_head_channels != -1) return channels / num_head_channels;
    return upsample && num_heads_upsample != -1 ? num_heads_upsample : num_heads;
  }
  /** Throws std::runtime_error describing the first inconsistent option. */
  void validate() const;
};

}  // namespace glide
