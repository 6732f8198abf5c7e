// The text conditioning of one batch, computed once per sample and reused by every UNet call.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace glide {

struct TextEmbedding {
  int64_t batch = 0;
  Tensor xf_proj;  // [N, 4·C]: added to the timestep embedding
  Tensor xf_out;   // [N, W, T]: the transformer output, channels first (official layout)
  // encoder_kv projection of xf_out for each attention block, in block order: [N, 2·ch, T].
  std::vector<Tensor> encoder_kv;
};

}  // namespace glide
