// ResBlock (`<prefix>.in_layers / emb_layers / out_layers / skip_connection`):
//   h = in_layers(x)          GroupNorm+SiLU [in_layers.0], (up/down-sample), conv3×3 [in_layers.2]
//   e = emb_layers(emb)       SiLU, Linear [emb_layers.1] -> [N, 2·out] (scale-shift) or [N, out]
//   scale-shift: h = SiLU(GN(h)·(1+scale) + shift) [out_layers.0], conv3×3 [out_layers.3]
//   otherwise:   h = SiLU(GN(h + e)) [out_layers.0], conv3×3 [out_layers.3]
//   out = skip(x) + h, skip = identity or conv1×1 [skip_connection] when the width changes; with
//   up/down the same resampling is applied to x first.
#pragma once
#include <optional>
#include <string>

#include "models/layers.h"
#include "models/unet_layer.h"

namespace glide {

class ResBlock final : public UNetLayer {
 public:
  enum class Resample { None, Up, Down };
  ResBlock(WeightLoader& w, const std::string& prefix, int64_t channels, int64_t emb_channels, int64_t out_channels,
           bool use_scale_shift_norm, Resample resample);
  // x [N, C, H, W] -> [N, out, H', W'] (H' = 2H for Up, H/2 for Down)
  Tensor forward(Backend& be, const Tensor& x, const LayerContext& ctx) const override;

 private:
  Tensor resample(Backend& be, const Tensor& x) const;

  Norm in_norm_;        // in_layers.0
  Conv2d in_conv_;      // in_layers.2
  Linear emb_linear_;   // emb_layers.1
  Norm out_norm_;       // out_layers.0
  Conv2d out_conv_;     // out_layers.3
  std::optional<Conv2d> skip_;  // skip_connection
  bool scale_shift_;
  Resample resample_;
};

}  // namespace glide
