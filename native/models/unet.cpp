#include "models/unet.h"

#include "core/error.h"
#include "models/res_block.h"
#include "models/resample.h"

namespace glide {

GlideUNet::GlideUNet(const GlideConfig& config, WeightLoader& w, Backend& backend)
    : config_(config), backend_(backend) {
  config_.validate();
  const GlideConfig& c = config_;
  const int64_t mc = c.num_channels;
  const int64_t emb_ch = 4 * mc;
  const bool ss = c.use_scale_shift_norm;
  time_embed_0_ = Linear::load(w, "time_embed.0", mc, emb_ch);
  time_embed_2_ = Linear::load(w, "time_embed.2", emb_ch, emb_ch);
  if (c.xf_width > 0) text_.emplace(w, c);

  // Input side: conv, then per level num_res_blocks ResBlocks (+ attention) and a downsample.
  int64_t ch = c.channel_mult[0] * mc;
  const int64_t input_ch = ch;
  std::vector<int64_t> skip_chans{ch};
  int64_t ds = 1;
  {
    Block first;
    first.push_back(std::make_unique<InputConv>(w, "input_blocks.0.0", c.in_channels, ch));
    input_blocks_.push_back(std::move(first));
  }
  const int64_t levels = static_cast<int64_t>(c.channel_mult.size());
  for (int64_t level = 0; level < levels; ++level) {
    for (int64_t r = 0; r < c.num_res_blocks; ++r) {
      const std::string prefix = "input_blocks." + std::to_string(input_blocks_.size());
      const int64_t out = c.channel_mult[level] * mc;
      Block block;
      block.push_back(std::make_unique<ResBlock>(w, prefix + ".0", ch, emb_ch, out, ss, ResBlock::Resample::None));
      ch = out;
      maybe_add_attention(block, w, prefix + ".1", ds, ch, false);
      input_blocks_.push_back(std::move(block));
      skip_chans.push_back(ch);
    }
    if (level != levels - 1) {
      const std::string prefix = "input_blocks." + std::to_string(input_blocks_.size()) + ".0";
      Block block;
      if (c.resblock_updown)
        block.push_back(std::make_unique<ResBlock>(w, prefix, ch, emb_ch, ch, ss, ResBlock::Resample::Down));
      else
        block.push_back(std::make_unique<Downsample>(w, prefix, ch));
      input_blocks_.push_back(std::move(block));
      skip_chans.push_back(ch);
      ds *= 2;
    }
  }

  // Middle: ResBlock, AttentionBlock (always), ResBlock.
  middle_block_.push_back(std::make_unique<ResBlock>(w, "middle_block.0", ch, emb_ch, ch, ss, ResBlock::Resample::None));
  {
    const size_t index = attention_blocks_.size();
    auto attn = std::make_unique<AttentionBlock>(w, "middle_block.1", ch, c.attention_heads(ch, false), c.xf_width, index);
    attention_blocks_.push_back(attn.get());
    middle_block_.push_back(std::move(attn));
  }
  middle_block_.push_back(std::make_unique<ResBlock>(w, "middle_block.2", ch, emb_ch, ch, ss, ResBlock::Resample::None));

  // Output side: levels in reverse, num_res_blocks + 1 blocks each, every one fed concat([h, skip]).
  for (int64_t level = levels - 1; level >= 0; --level) {
    for (int64_t r = 0; r <= c.num_res_blocks; ++r) {
      const std::string prefix = "output_blocks." + std::to_string(output_blocks_.size());
      const int64_t skip = skip_chans.back();
      skip_chans.pop_back();
      const int64_t out = c.channel_mult[level] * mc;
      Block block;
      block.push_back(std::make_unique<ResBlock>(w, prefix + ".0", ch + skip, emb_ch, out, ss, ResBlock::Resample::None));
      ch = out;
      maybe_add_attention(block, w, prefix + "." + std::to_string(block.size()), ds, ch, true);
      if (level != 0 && r == c.num_res_blocks) {
        const std::string up = prefix + "." + std::to_string(block.size());
        if (c.resblock_updown)
          block.push_back(std::make_unique<ResBlock>(w, up, ch, emb_ch, ch, ss, ResBlock::Resample::Up));
        else
          block.push_back(std::make_unique<Upsample>(w, up, ch));
        ds /= 2;
      }
      output_blocks_.push_back(std::move(block));
    }
  }

  out_norm_ = Norm::load(w, "out.0", ch);
  out_conv_ = Conv2d::load(w, "out.2", input_ch, c.out_channels, 3, 1, 1);
}

void GlideUNet::maybe_add_attention(Block& block, WeightLoader& w, const std::string& prefix, int64_t ds, int64_t ch,
                                    bool upsample) {
  if (!config_.attention_at(ds)) return;
  const size_t index = attention_blocks_.size();
  auto attn = std::make_unique<AttentionBlock>(w, prefix, ch, config_.attention_heads(ch, upsample), config_.xf_width,
                                               index);
  attention_blocks_.push_back(attn.get());
  block.push_back(std::move(attn));
}

TextEmbedding GlideUNet::encode_text(const std::vector<int32_t>& tokens, const std::vector<uint8_t>& mask,
                                     int64_t batch) const {
  GLIDE_CHECK(text_.has_value(), "this model has no text encoder (xf_width = 0)");
  TextEmbedding t;
  t.batch = batch;
  text_->forward(backend_, tokens, mask, batch, t.xf_proj, t.xf_out);
  t.encoder_kv.reserve(attention_blocks_.size());
  for (const AttentionBlock* block : attention_blocks_) t.encoder_kv.push_back(block->encode_text(backend_, t.xf_out));
  return t;
}

Tensor GlideUNet::model_input(const UNetInputs& in) const {
  Backend& be = backend_;
  const int64_t c = config_.image_channels();
  GLIDE_CHECK(in.x.rank() == 4 && in.x.dim(1) == c, "x must have shape [N, ", c, ", H, W], got ", shape_str(in.x.shape()));
  const int64_t n = in.x.dim(0), s = in.x.dim(2), s2 = in.x.dim(3);
  std::vector<Tensor> parts{in.x};
  if (config_.inpaint) {
    // [x, inpaint_image·mask, mask]; absent image/mask mean zeros, as in the reference.
    Tensor mask = in.inpaint_mask;
    Tensor image = in.inpaint_image;
    if (!mask.defined()) mask = be.upload(std::vector<float>(static_cast<size_t>(n * s * s2), 0.0f).data(), {n, 1, s, s2});
    if (!image.defined()) image = be.upload(std::vector<float>(static_cast<size_t>(in.x.numel()), 0.0f).data(), in.x.shape());
    parts.push_back(be.mul(image, mask));
    parts.push_back(mask);
  }
  if (config_.super_res) {
    GLIDE_CHECK(in.low_res.defined(), "the upsampler needs a low-resolution image (lowRes)");
    parts.push_back(be.resize_bilinear(in.low_res, s, s2));
  }
  return parts.size() == 1 ? in.x : be.concat(parts, 1);
}

Tensor GlideUNet::run_block(const Block& block, Tensor h, const LayerContext& ctx) const {
  for (const auto& layer : block) h = layer->forward(backend_, h, ctx);
  return h;
}

Tensor GlideUNet::forward(const UNetInputs& in, const TextEmbedding* text, const TraceFn* trace) const {
  Backend& be = backend_;
  const int64_t n = in.x.dim(0);
  GLIDE_CHECK(static_cast<int64_t>(in.timesteps.size()) == n, "expected ", n, " timesteps, got ", in.timesteps.size());
  const auto record = [&](const std::string& name, const Tensor& t) {
    if (trace != nullptr) (*trace)(name, t);
  };

  // emb: [N, 4C] = time_embed(timestep_embedding(t)) (+ xf_proj)
  const Tensor t_emb = be.timestep_embedding(in.timesteps, config_.num_channels);
  record("timestep_embedding", t_emb);
  Tensor emb = time_embed_2_(be, be.silu(time_embed_0_(be, t_emb)));
  record("time_embed", emb);
  if (text_) {
    GLIDE_CHECK(text != nullptr, "the text conditioning (tokens and mask) is missing");
    GLIDE_CHECK(text->batch == n, "the text conditioning has batch ", text->batch, " but x has batch ", n);
    emb = be.add(emb, text->xf_proj);
  }
  record("emb", emb);
  const LayerContext ctx{emb, text_ ? text : nullptr};

  Tensor h = model_input(in);
  std::vector<Tensor> skips;
  skips.reserve(input_blocks_.size());
  for (size_t i = 0; i < input_blocks_.size(); ++i) {
    h = run_block(input_blocks_[i], h, ctx);
    record("input_blocks." + std::to_string(i), h);
    skips.push_back(h);
  }
  h = run_block(middle_block_, h, ctx);
  record("middle_block", h);
  for (size_t i = 0; i < output_blocks_.size(); ++i) {
    h = be.concat({h, skips.back()}, 1);
    skips.pop_back();
    h = run_block(output_blocks_[i], h, ctx);
    record("output_blocks." + std::to_string(i), h);
  }
  GroupNormArgs gn_silu;
  gn_silu.silu = true;
  h = out_conv_(be, be.group_norm(h, out_norm_.weight, out_norm_.bias, gn_silu));
  record("out", h);
  return h;
}

}  // namespace glide
