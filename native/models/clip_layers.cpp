#include "models/clip_layers.h"

#include "ops/cpu/backward.h"

namespace glide {

ClipAffine ClipAffine::load(WeightLoader& weights, const std::string& prefix, int64_t in, int64_t out, bool bias) {
  ClipAffine a{weights.load(prefix + ".w", {out, in}), std::nullopt};
  if (bias) a.b = weights.load(prefix + ".b", {out});
  return a;
}

Tensor ClipAffine::backward(const Tensor& dy) const { return cpu::linear_backward(dy, w); }

ClipLayerNorm ClipLayerNorm::load(WeightLoader& weights, const std::string& prefix, int64_t width) {
  return ClipLayerNorm{weights.load(prefix + ".g", {width}), weights.load(prefix + ".b", {width})};
}

Tensor ClipLayerNorm::backward(const Tensor& x, const Tensor& dy) const {
  return cpu::layer_norm_backward(x, g, dy, kClipLayerNormEps);
}

}  // namespace glide
