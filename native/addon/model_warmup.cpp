#include "addon/model_warmup.h"

#include <algorithm>
#include <vector>

namespace glide::addon {

void warm_up(const GlideUNet& model) {
  const GlideConfig& c = model.config();
  Backend& be = model.backend();
  const int64_t s = c.image_size, ch = c.image_channels();
  UNetInputs in;
  in.x = be.upload(std::vector<float>(static_cast<size_t>(ch * s * s), 0.0f).data(), {1, ch, s, s});
  in.timesteps = {0.0f};
  if (c.super_res) {
    // The official upsampler's 4× ratio; any size is resized to S inside the model.
    const int64_t low = std::max<int64_t>(1, s / 4);
    in.low_res = be.upload(std::vector<float>(static_cast<size_t>(ch * low * low), 0.0f).data(), {1, ch, low, low});
  }
  TextEmbedding text;
  if (model.has_text()) {
    // The empty prompt: every token the padding id, mask all 0.
    const std::vector<int32_t> tokens(static_cast<size_t>(c.text_ctx), static_cast<int32_t>(c.n_vocab - 1));
    const std::vector<uint8_t> mask(static_cast<size_t>(c.text_ctx), 0);
    text = model.encode_text(tokens, mask, 1);
  }
  model.forward(in, model.has_text() ? &text : nullptr);
}

}  // namespace glide::addon
