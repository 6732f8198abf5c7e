// Level changes when resblock_updown is false: Downsample (`<prefix>.op`, conv3×3 stride 2 padding 1)
// and Upsample (nearest ×2, then `<prefix>.conv` conv3×3).
#pragma once
#include <string>

#include "models/layers.h"
#include "models/unet_layer.h"

namespace glide {

class Downsample final : public UNetLayer {
 public:
  Downsample(WeightLoader& w, const std::string& prefix, int64_t channels)
      : op_(Conv2d::load(w, prefix + ".op", channels, channels, 3, 2, 1)) {}
  // x [N, C, H, W] -> [N, C, H/2, W/2]
  Tensor forward(Backend& be, const Tensor& x, const LayerContext&) const override { return op_(be, x); }

 private:
  Conv2d op_;
};

class Upsample final : public UNetLayer {
 public:
  Upsample(WeightLoader& w, const std::string& prefix, int64_t channels)
      : conv_(Conv2d::load(w, prefix + ".conv", channels, channels, 3, 1, 1)) {}
  // x [N, C, H, W] -> [N, C, 2H, 2W]
  Tensor forward(Backend& be, const Tensor& x, const LayerContext&) const override {
    return conv_(be, be.upsample_nearest2x(x));
  }

 private:
  Conv2d conv_;
};

/** The first input block: a bare 3×3 conv (`input_blocks.0.0`). */
class InputConv final : public UNetLayer {
 public:
  InputConv(WeightLoader& w, const std::string& prefix, int64_t in, int64_t out)
      : conv_(Conv2d::load(w, prefix, in, out, 3, 1, 1)) {}
  Tensor forward(Backend& be, const Tensor& x, const LayerContext&) const override { return conv_(be, x); }

 private:
  Conv2d conv_;
};

}  // namespace glide
