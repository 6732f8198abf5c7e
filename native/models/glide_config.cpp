#include "models/glide_config.h"

#include "core/error.h"

namespace glide {

void GlideConfig::validate() const {
  GLIDE_CHECK(num_channels > 0, "config: num_channels must be positive, got ", num_channels);
  GLIDE_CHECK(num_res_blocks >= 0, "config: num_res_blocks must not be negative");
  GLIDE_CHECK(!channel_mult.empty(), "config: channel_mult is empty");
  for (int64_t m : channel_mult) GLIDE_CHECK(m > 0, "config: channel_mult entries must be positive");
  GLIDE_CHECK(image_size > 0, "config: image_size must be positive");
  GLIDE_CHECK(out_channels > 0, "config: out_channels must be positive");
  const int64_t extra = inpaint ? 1 : 0;
  const int64_t parts = 1 + (inpaint ? 1 : 0) + (super_res ? 1 : 0);
  GLIDE_CHECK(in_channels > extra && (in_channels - extra) % parts == 0, "config: in_channels ", in_channels,
        " does not fit the inpaint=", inpaint, " super_res=", super_res, " input layout");
  GLIDE_CHECK(num_head_channels == -1 || num_head_channels > 0, "config: num_head_channels must be positive or -1");
  GLIDE_CHECK(num_head_channels != -1 || num_heads > 0, "config: num_heads must be positive");
  GLIDE_CHECK(xf_width >= 0 && xf_layers >= 0, "config: xf_width and xf_layers must not be negative");
  if (xf_width > 0) {
    GLIDE_CHECK(text_ctx > 0, "config: text_ctx must be positive");
    GLIDE_CHECK(n_vocab > 0, "config: n_vocab must be positive");
    GLIDE_CHECK(xf_heads > 0 && xf_width % xf_heads == 0, "config: xf_width ", xf_width, " is not divisible by xf_heads ",
          xf_heads);
  }
}

}  // namespace glide
