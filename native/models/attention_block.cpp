#include "models/attention_block.h"

#include "core/error.h"

namespace glide {

AttentionBlock::AttentionBlock(WeightLoader& w, const std::string& prefix, int64_t channels, int64_t heads,
                               int64_t encoder_channels, size_t index)
    : norm_(Norm::load(w, prefix + ".norm", channels)),
      qkv_(Conv2d::load_conv1d(w, prefix + ".qkv", channels, 3 * channels)),
      proj_out_(Conv2d::load_conv1d(w, prefix + ".proj_out", channels, channels)),
      heads_(heads),
      has_encoder_kv_(encoder_channels > 0),
      index_(index) {
  GLIDE_CHECK(heads > 0 && channels % heads == 0, prefix, ": ", channels, " channels cannot be split into ", heads, " heads");
  if (has_encoder_kv_) encoder_kv_ = Conv2d::load_conv1d(w, prefix + ".encoder_kv", encoder_channels, 2 * channels);
}

Tensor AttentionBlock::forward(Backend& be, const Tensor& x, const LayerContext& ctx) const {
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  // qkv: [N, 3C, H·W], per head [q | k | v]
  const Tensor normed = be.group_norm(x, norm_.weight, norm_.bias, GroupNormArgs{});
  const Tensor qkv = qkv_.conv1d(be, normed.reshape({n, c, h * wd}));
  const Tensor* text_kv = nullptr;
  if (has_encoder_kv_) {
    GLIDE_CHECK(ctx.text != nullptr && index_ < ctx.text->encoder_kv.size(), "attention block ", index_,
          ": the text conditioning is missing");
    text_kv = &ctx.text->encoder_kv[index_];
  }
  const Tensor a = be.attention(qkv, text_kv, static_cast<int>(heads_), AttentionLayout::ChannelsFirst);
  // proj_out: [N, C, H·W] -> [N, C, H, W], residual
  return be.add(x, proj_out_.conv1d(be, a).reshape({n, c, h, wd}));
}

}  // namespace glide
