// upsample_nearest2x: [N, C, H, W] -> [N, C, 2H, 2W], each input pixel copied to a 2×2 block.
#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {
namespace {

template <typename T>
__global__ void upsample_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t planes, int64_t h, int64_t w) {
  const int64_t wo = 2 * w, n = planes * 4 * h * w;
  GLIDE_GRID_STRIDE(i, n) {
    const int64_t ox = i % wo, oy = (i / wo) % (2 * h), p = i / (wo * 2 * h);
    y[i] = x[(p * h + oy / 2) * w + ox / 2];
  }
}

}  // namespace

Tensor CudaBackend::upsample_nearest2x(const Tensor& x) {
  const auto lock = enter();
  check_cuda(x, "upsample_nearest2x", "x");
  GLIDE_CHECK(x.rank() == 4, "upsample_nearest2x: input must be [N, C, H, W], got ", shape_str(x.shape()));
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  Tensor y = empty({x.dim(0), x.dim(1), 2 * h, 2 * w}, x.dtype());
  if (y.numel() == 0) return y;
  dispatch_dtype(x.dtype(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    upsample_kernel<T><<<grid_for(y.numel()), kBlock, 0, stream_>>>(ptr<T>(x), ptr<T>(y), planes, h, w);
  });
  GLIDE_CUDA_CHECK_LAUNCH();
  return y;
}

}  // namespace glide::cuda
