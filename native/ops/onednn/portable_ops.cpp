// Ops the GLIDE UNet only applies to small row-major float32 tensors (the text transformer's
// LayerNorm/GELU, the time and token embeddings, the model input's mask product and resize, the
// transformer output's transpose and last-token select): they run on the portable kernels, with
// other layouts converted to row-major float32 first.
#include "ops/cpu/cpu_backend.h"
#include "ops/onednn/onednn_backend.h"

namespace glide::onednn {

Tensor OnednnBackend::layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  return cpu::cpu_backend().layer_norm(plain(x), plain(gamma), plain(beta), eps);
}

Tensor OnednnBackend::gelu(const Tensor& x) { return cpu::cpu_backend().gelu(plain(x)); }

Tensor OnednnBackend::mul(const Tensor& a, const Tensor& b) { return cpu::cpu_backend().mul(plain(a), plain(b)); }

Tensor OnednnBackend::transpose_last2(const Tensor& x) { return cpu::cpu_backend().transpose_last2(plain(x)); }

Tensor OnednnBackend::select(const Tensor& x, int axis, int64_t index) {
  return cpu::cpu_backend().select(plain(x), axis, index);
}

Tensor OnednnBackend::resize_bilinear(const Tensor& x, int64_t h, int64_t w) {
  return cpu::cpu_backend().resize_bilinear(plain(x), h, w);
}

Tensor OnednnBackend::timestep_embedding(const std::vector<float>& timesteps, int64_t dim) {
  return cpu::cpu_backend().timestep_embedding(timesteps, dim);
}

Tensor OnednnBackend::token_embedding(const Tensor& table, const Tensor& positional, const Tensor* padding,
                                      const std::vector<int32_t>& tokens, const std::vector<uint8_t>& mask,
                                      int64_t batch) {
  const Tensor pad = padding != nullptr ? plain(*padding) : Tensor();
  return cpu::cpu_backend().token_embedding(plain(table), plain(positional), padding != nullptr ? &pad : nullptr, tokens,
                                            mask, batch);
}

Tensor OnednnBackend::self_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, bool causal) {
  return cpu::cpu_backend().self_attention(plain(q), plain(k), plain(v), heads, causal);
}

}  // namespace glide::onednn
