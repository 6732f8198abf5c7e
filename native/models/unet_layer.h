// The layers a UNet block (TimestepEmbedSequential) chains: ResBlock, AttentionBlock, Downsample,
// Upsample and the input conv. Each receives what it needs from the step's context.
#pragma once
#include "core/backend.h"
#include "models/text_embedding.h"

namespace glide {

/** Per-call inputs shared by every layer. */
struct LayerContext {
  const Tensor& emb;            // [N, 4·C]: time embedding (+ xf_proj)
  const TextEmbedding* text;    // null for a model without text conditioning
};

class UNetLayer {
 public:
  virtual ~UNetLayer() = default;
  // h [N, C, H, W] -> [N, C', H', W']
  virtual Tensor forward(Backend& be, const Tensor& h, const LayerContext& ctx) const = 0;
};

}  // namespace glide
