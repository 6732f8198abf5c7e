// convert: dtype conversion kernel, float32 as the intermediate.
#include "ops/cuda/convert.h"
#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {
namespace {

template <typename S, typename D>
__global__ void convert_kernel(const S* __restrict__ src, D* __restrict__ dst, int64_t n) {
  GLIDE_GRID_STRIDE(i, n) dst[i] = from_f32<D>(to_f32(src[i]));
}

}  // namespace

void convert_dtype(const void* src, DType src_dtype, void* dst, DType dst_dtype, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  if (src_dtype == dst_dtype) {
    GLIDE_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(n) * dtype_size(src_dtype), cudaMemcpyDeviceToDevice, stream));
    return;
  }
  dispatch_dtype(src_dtype, [&](auto* s_tag) {
    using S = std::remove_pointer_t<decltype(s_tag)>;
    dispatch_dtype(dst_dtype, [&](auto* d_tag) {
      using D = std::remove_pointer_t<decltype(d_tag)>;
      convert_kernel<S, D><<<grid_for(n), kBlock, 0, stream>>>(static_cast<const S*>(src), static_cast<D*>(dst), n);
    });
  });
  GLIDE_CUDA_CHECK_LAUNCH();
}

}  // namespace glide::cuda
