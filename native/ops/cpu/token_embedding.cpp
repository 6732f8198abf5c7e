// token_embedding: tokens [N, T] -> [N, T, W] = table[token] + positional[t]; with a padding table,
// positions whose mask is 0 are replaced by padding[t] (GLIDE's xf_padding).
#include <cstring>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::cpu {

Tensor CpuBackend::token_embedding(const Tensor& table, const Tensor& positional, const Tensor* padding,
                                   const std::vector<int32_t>& tokens, const std::vector<uint8_t>& mask,
                                   int64_t batch) {
  GLIDE_CHECK(table.rank() == 2 && positional.rank() == 2, "token_embedding: tables must be 2-D");
  const int64_t vocab = table.dim(0), w = table.dim(1), ctx = positional.dim(0);
  GLIDE_CHECK(positional.dim(1) == w, "token_embedding: positional width ", positional.dim(1), " != ", w);
  GLIDE_CHECK(padding == nullptr || padding->shape() == positional.shape(), "token_embedding: padding table must be ",
        shape_str(positional.shape()));
  GLIDE_CHECK(static_cast<int64_t>(tokens.size()) == batch * ctx, "token_embedding: expected ", batch, "×", ctx, " tokens");
  GLIDE_CHECK(padding == nullptr || static_cast<int64_t>(mask.size()) == batch * ctx, "token_embedding: expected ", batch,
        "×", ctx, " mask values");
  Tensor y = cpu_tensor({batch, ctx, w});
  const float* tp = table.f32();
  const float* pp = positional.f32();
  float* yp = y.f32();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < ctx; ++t) {
      const size_t idx = static_cast<size_t>(b * ctx + t);
      float* row = yp + (b * ctx + t) * w;
      if (padding != nullptr && mask[idx] == 0) {
        std::memcpy(row, padding->f32() + t * w, static_cast<size_t>(w) * sizeof(float));
        continue;
      }
      const int32_t tok = tokens[idx];
      GLIDE_CHECK(tok >= 0 && tok < vocab, "token id ", tok, " at [", b, ", ", t, "] is outside the vocabulary (", vocab, ")");
      const float* e = tp + static_cast<int64_t>(tok) * w;
      const float* pos = pp + t * w;
      for (int64_t i = 0; i < w; ++i) row[i] = e[i] + pos[i];
    }
  }
  return y;
}

}  // namespace glide::cpu
