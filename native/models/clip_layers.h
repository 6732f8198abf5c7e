// Leaf layers of the noised CLIP (glide_text2im/clip/utils.py), named like its state dict:
// `Affine` (<prefix>.w [out, in], optional <prefix>.b [out]) and `LayerNorm` (<prefix>.g, <prefix>.b).
// Each has the forward through a Backend and the CPU input-gradient used by CLIP guidance.
#pragma once
#include <optional>
#include <string>

#include "core/backend.h"
#include "core/weight_loader.h"

namespace glide {

/** LayerNorm epsilon of every CLIP norm. */
constexpr float kClipLayerNormEps = 1e-5f;

struct ClipAffine {
  Tensor w;
  std::optional<Tensor> b;
  static ClipAffine load(WeightLoader& weights, const std::string& prefix, int64_t in, int64_t out, bool bias);
  // x [..., in] -> [..., out]
  Tensor operator()(Backend& be, const Tensor& x) const { return be.linear(x, w, b ? &*b : nullptr); }
  // dy [..., out] -> dx [..., in] (CPU)
  Tensor backward(const Tensor& dy) const;
};

struct ClipLayerNorm {
  Tensor g;
  Tensor b;
  static ClipLayerNorm load(WeightLoader& weights, const std::string& prefix, int64_t width);
  // x [..., W] -> [..., W]
  Tensor operator()(Backend& be, const Tensor& x) const { return be.layer_norm(x, g, b, kClipLayerNormEps); }
  // x: the forward input; dy -> dx (CPU)
  Tensor backward(const Tensor& x, const Tensor& dy) const;
};

}  // namespace glide
