#include "models/layers.h"

namespace glide {

// Weights go through Backend::prepare_weight so a backend can reorder them for its kernels once, here.
Linear Linear::load(WeightLoader& w, const std::string& prefix, int64_t in, int64_t out) {
  Tensor weight = w.backend().prepare_weight(w.load(prefix + ".weight", {out, in}), WeightRole::linear());
  return Linear{weight, w.load(prefix + ".bias", {out})};
}

Conv2d Conv2d::load(WeightLoader& w, const std::string& prefix, int64_t in, int64_t out, int64_t kernel, int stride,
                    int pad) {
  Tensor weight = w.backend().prepare_weight(w.load(prefix + ".weight", {out, in, kernel, kernel}),
                                             WeightRole::conv(stride, pad));
  return Conv2d{weight, w.load(prefix + ".bias", {out}), stride, pad};
}

Conv2d Conv2d::load_conv1d(WeightLoader& w, const std::string& prefix, int64_t in, int64_t out) {
  Tensor weight = w.backend().prepare_weight(w.load(prefix + ".weight", {out, in, 1}).reshape({out, in, 1, 1}),
                                             WeightRole::conv(1, 0));
  return Conv2d{weight, w.load(prefix + ".bias", {out}), 1, 0};
}

Tensor Conv2d::conv1d(Backend& be, const Tensor& x) const {
  const int64_t n = x.dim(0), len = x.dim(2);
  return be.conv2d(x.reshape({n, x.dim(1), len, 1}), weight, &bias, 1, 0).reshape({n, weight.dim(0), len});
}

Norm Norm::load(WeightLoader& w, const std::string& prefix, int64_t channels) {
  return Norm{w.load(prefix + ".weight", {channels}), w.load(prefix + ".bias", {channels})};
}

}  // namespace glide
