// The text transformer (`transformer.resblocks.<i>`): pre-LN residual blocks,
//   x += attn.c_proj(attention(attn.c_qkv(ln_1(x))))   non-causal, unmasked, per-head [q|k|v]
//   x += mlp.c_proj(GELU(mlp.c_fc(ln_2(x))))           hidden width 4·W
#pragma once
#include <string>
#include <vector>

#include "models/layers.h"

namespace glide {

class ResidualAttentionBlock {
 public:
  ResidualAttentionBlock(WeightLoader& w, const std::string& prefix, int64_t width, int64_t heads);
  // x [N, T, W] -> [N, T, W]
  Tensor forward(Backend& be, const Tensor& x) const;

 private:
  Linear c_qkv_;   // attn.c_qkv  W -> 3W
  Linear c_proj_;  // attn.c_proj W -> W
  Norm ln_1_;      // ln_1
  Linear c_fc_;    // mlp.c_fc    W -> 4W
  Linear mlp_proj_;  // mlp.c_proj 4W -> W
  Norm ln_2_;      // ln_2
  int64_t heads_;
};

class Transformer {
 public:
  Transformer(WeightLoader& w, const std::string& prefix, int64_t width, int64_t layers, int64_t heads);
  // x [N, T, W] -> [N, T, W]
  Tensor forward(Backend& be, Tensor x) const;

 private:
  std::vector<ResidualAttentionBlock> resblocks_;
};

}  // namespace glide
