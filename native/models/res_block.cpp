#include "models/res_block.h"

namespace glide {

ResBlock::ResBlock(WeightLoader& w, const std::string& prefix, int64_t channels, int64_t emb_channels,
                   int64_t out_channels, bool use_scale_shift_norm, Resample resample)
    : in_norm_(Norm::load(w, prefix + ".in_layers.0", channels)),
      in_conv_(Conv2d::load(w, prefix + ".in_layers.2", channels, out_channels, 3, 1, 1)),
      emb_linear_(Linear::load(w, prefix + ".emb_layers.1", emb_channels,
                               use_scale_shift_norm ? 2 * out_channels : out_channels)),
      out_norm_(Norm::load(w, prefix + ".out_layers.0", out_channels)),
      out_conv_(Conv2d::load(w, prefix + ".out_layers.3", out_channels, out_channels, 3, 1, 1)),
      scale_shift_(use_scale_shift_norm),
      resample_(resample) {
  if (out_channels != channels) skip_ = Conv2d::load(w, prefix + ".skip_connection", channels, out_channels, 1, 1, 0);
}

Tensor ResBlock::resample(Backend& be, const Tensor& x) const {
  switch (resample_) {
    case Resample::Up: return be.upsample_nearest2x(x);
    case Resample::Down: return be.avg_pool2x2(x);
    case Resample::None: break;
  }
  return x;
}

Tensor ResBlock::forward(Backend& be, const Tensor& x, const LayerContext& ctx) const {
  GroupNormArgs gn_silu;
  gn_silu.silu = true;
  // h: [N, C, H, W] -> [N, out, H', W']
  Tensor h = be.group_norm(x, in_norm_.weight, in_norm_.bias, gn_silu);
  h = in_conv_(be, resample(be, h));
  const Tensor skip_in = resample(be, x);

  // e: [N, 4C] -> [N, 2·out] or [N, out]
  const Tensor e = emb_linear_(be, be.silu(ctx.emb));
  if (scale_shift_) {
    GroupNormArgs args = gn_silu;
    args.scale_shift = &e;
    h = be.group_norm(h, out_norm_.weight, out_norm_.bias, args);
  } else {
    h = be.add(h, e.reshape({e.dim(0), e.dim(1), 1, 1}));
    h = be.group_norm(h, out_norm_.weight, out_norm_.bias, gn_silu);
  }
  h = out_conv_(be, h);
  return be.add(skip_ ? (*skip_)(be, skip_in) : skip_in, h);
}

}  // namespace glide
