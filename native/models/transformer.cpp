#include "models/transformer.h"

namespace glide {

namespace {
constexpr float kLayerNormEps = 1e-5f;
}

ResidualAttentionBlock::ResidualAttentionBlock(WeightLoader& w, const std::string& prefix, int64_t width,
                                               int64_t heads)
    : c_qkv_(Linear::load(w, prefix + ".attn.c_qkv", width, 3 * width)),
      c_proj_(Linear::load(w, prefix + ".attn.c_proj", width, width)),
      ln_1_(Norm::load(w, prefix + ".ln_1", width)),
      c_fc_(Linear::load(w, prefix + ".mlp.c_fc", width, 4 * width)),
      mlp_proj_(Linear::load(w, prefix + ".mlp.c_proj", 4 * width, width)),
      ln_2_(Norm::load(w, prefix + ".ln_2", width)),
      heads_(heads) {}

Tensor ResidualAttentionBlock::forward(Backend& be, const Tensor& x) const {
  // qkv: [N, T, 3W], per head [q | k | v]
  const Tensor qkv = c_qkv_(be, be.layer_norm(x, ln_1_.weight, ln_1_.bias, kLayerNormEps));
  const Tensor a = be.attention(qkv, nullptr, static_cast<int>(heads_), AttentionLayout::TokensFirst);
  const Tensor h = be.add(x, c_proj_(be, a));
  const Tensor m = mlp_proj_(be, be.gelu(c_fc_(be, be.layer_norm(h, ln_2_.weight, ln_2_.bias, kLayerNormEps))));
  return be.add(h, m);
}

Transformer::Transformer(WeightLoader& w, const std::string& prefix, int64_t width, int64_t layers, int64_t heads) {
  resblocks_.reserve(static_cast<size_t>(layers));
  for (int64_t i = 0; i < layers; ++i)
    resblocks_.emplace_back(w, prefix + ".resblocks." + std::to_string(i), width, heads);
}

Tensor Transformer::forward(Backend& be, Tensor x) const {
  for (const ResidualAttentionBlock& block : resblocks_) x = block.forward(be, x);
  return x;
}

}  // namespace glide
