// Parameterised leaf layers (torch.nn.Linear / Conv2d / Conv1d / GroupNorm / LayerNorm) loaded by their
// checkpoint prefix. A layer's weights are `<prefix>.weight` and `<prefix>.bias`.
#pragma once
#include <string>

#include "core/backend.h"
#include "core/weight_loader.h"

namespace glide {

/** nn.Linear: weight [out, in], bias [out]. */
struct Linear {
  Tensor weight;
  Tensor bias;
  static Linear load(WeightLoader& w, const std::string& prefix, int64_t in, int64_t out);
  // x [..., in] -> [..., out]
  Tensor operator()(Backend& be, const Tensor& x) const { return be.linear(x, weight, &bias); }
};

/** nn.Conv2d (weight [out, in, k, k]) or a kernel-1 nn.Conv1d (weight [out, in, 1], kept as [out, in, 1, 1]). */
struct Conv2d {
  Tensor weight;
  Tensor bias;
  int stride = 1;
  int pad = 0;
  static Conv2d load(WeightLoader& w, const std::string& prefix, int64_t in, int64_t out, int64_t kernel, int stride,
                     int pad);
  static Conv2d load_conv1d(WeightLoader& w, const std::string& prefix, int64_t in, int64_t out);
  // x [N, in, H, W] -> [N, out, H', W']
  Tensor operator()(Backend& be, const Tensor& x) const { return be.conv2d(x, weight, &bias, stride, pad); }
  // Conv1d, kernel 1: x [N, in, L] -> [N, out, L]
  Tensor conv1d(Backend& be, const Tensor& x) const;
};

/** GroupNorm / LayerNorm affine parameters: weight [C], bias [C]. */
struct Norm {
  Tensor weight;
  Tensor bias;
  static Norm load(WeightLoader& w, const std::string& prefix, int64_t channels);
};

}  // namespace glide
