// token_embedding: tokens [N, T] -> [N, T, W] = table[token] + positional[t]; with a padding table,
// positions whose mask is 0 are replaced by padding[t] (GLIDE's xf_padding). Token ids are checked on the
// host, then copied to the device with the mask.
#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {
namespace {

template <typename T>
__global__ void token_embedding_kernel(const T* __restrict__ table, const T* __restrict__ positional,
                                       const T* __restrict__ padding, const int32_t* __restrict__ tokens,
                                       const uint8_t* __restrict__ mask, T* __restrict__ y, int64_t rows, int64_t ctx,
                                       int64_t w) {
  GLIDE_GRID_STRIDE(e, rows * w) {
    const int64_t row = e / w, i = e % w, t = row % ctx;
    if (padding != nullptr && mask[row] == 0) {
      y[e] = padding[t * w + i];
    } else {
      y[e] = from_f32<T>(to_f32(table[static_cast<int64_t>(tokens[row]) * w + i]) + to_f32(positional[t * w + i]));
    }
  }
}

}  // namespace

Tensor CudaBackend::token_embedding(const Tensor& table_in, const Tensor& positional_in, const Tensor* padding_in,
                                    const std::vector<int32_t>& tokens, const std::vector<uint8_t>& mask,
                                    int64_t batch) {
  const auto lock = enter();
  check_cuda(table_in, "token_embedding", "table");
  check_cuda(positional_in, "token_embedding", "positional");
  GLIDE_CHECK(table_in.rank() == 2 && positional_in.rank() == 2, "token_embedding: tables must be 2-D");
  const int64_t vocab = table_in.dim(0), w = table_in.dim(1), ctx = positional_in.dim(0);
  GLIDE_CHECK(positional_in.dim(1) == w, "token_embedding: positional width ", positional_in.dim(1), " != ", w);
  GLIDE_CHECK(padding_in == nullptr || padding_in->shape() == positional_in.shape(),
              "token_embedding: padding table must be ", shape_str(positional_in.shape()));
  GLIDE_CHECK(static_cast<int64_t>(tokens.size()) == batch * ctx, "token_embedding: expected ", batch, "×", ctx, " tokens");
  GLIDE_CHECK(padding_in == nullptr || static_cast<int64_t>(mask.size()) == batch * ctx, "token_embedding: expected ",
              batch, "×", ctx, " mask values");
  for (int64_t idx = 0; idx < batch * ctx; ++idx) {
    if (padding_in != nullptr && mask[static_cast<size_t>(idx)] == 0) continue;
    const int32_t tok = tokens[static_cast<size_t>(idx)];
    GLIDE_CHECK(tok >= 0 && tok < vocab, "token id ", tok, " at [", idx / ctx, ", ", idx % ctx,
                "] is outside the vocabulary (", vocab, ")");
  }
  const DType dtype = table_in.dtype();
  const Tensor positional = cast(positional_in, dtype);
  const Tensor padding = padding_in ? cast(*padding_in, dtype) : Tensor();
  const size_t count = static_cast<size_t>(batch * ctx);
  auto token_buf = arena_.allocate(count * sizeof(int32_t));
  copy_to_device(token_buf->data(), tokens.data(), count * sizeof(int32_t));
  std::shared_ptr<Storage> mask_buf;
  if (padding_in != nullptr) {
    mask_buf = arena_.allocate(count);
    copy_to_device(mask_buf->data(), mask.data(), count);
  }
  Tensor y = empty({batch, ctx, w}, dtype);
  if (y.numel() == 0) return y;
  dispatch_dtype(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    token_embedding_kernel<T><<<grid_for(y.numel()), kBlock, 0, stream_>>>(
        ptr<T>(table_in), ptr<T>(positional), padding_in ? ptr<T>(padding) : nullptr,
        static_cast<const int32_t*>(token_buf->data()),
        mask_buf ? static_cast<const uint8_t*>(mask_buf->data()) : nullptr, ptr<T>(y), batch * ctx, ctx, w);
  });
  GLIDE_CUDA_CHECK_LAUNCH();
  return y;
}

}  // namespace glide::cuda
