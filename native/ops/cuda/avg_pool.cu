// avg_pool2x2: [N, C, H, W] -> [N, C, H/2, W/2], mean of each 2×2 block (stride 2, odd edges dropped).
#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {
namespace {

template <typename T>
__global__ void avg_pool_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t planes, int64_t h, int64_t w) {
  const int64_t ho = h / 2, wo = w / 2, n = planes * ho * wo;
  GLIDE_GRID_STRIDE(i, n) {
    const int64_t ox = i % wo, oy = (i / wo) % ho, p = i / (wo * ho);
    const T* r0 = x + (p * h + 2 * oy) * w + 2 * ox;
    const T* r1 = r0 + w;
    // The CPU reference's order: ((a + b) + c) + d, then × ¼.
    y[i] = from_f32<T>((((to_f32(r0[0]) + to_f32(r0[1])) + to_f32(r1[0])) + to_f32(r1[1])) * 0.25f);
  }
}

}  // namespace

Tensor CudaBackend::avg_pool2x2(const Tensor& x) {
  const auto lock = enter();
  check_cuda(x, "avg_pool2x2", "x");
  GLIDE_CHECK(x.rank() == 4, "avg_pool2x2: input must be [N, C, H, W], got ", shape_str(x.shape()));
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  GLIDE_CHECK(h / 2 > 0 && w / 2 > 0, "avg_pool2x2: input ", shape_str(x.shape()), " is smaller than 2×2");
  Tensor y = empty({x.dim(0), x.dim(1), h / 2, w / 2}, x.dtype());
  dispatch_dtype(x.dtype(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    avg_pool_kernel<T><<<grid_for(y.numel()), kBlock, 0, stream_>>>(ptr<T>(x), ptr<T>(y), planes, h, w);
  });
  GLIDE_CUDA_CHECK_LAUNCH();
  return y;
}

}  // namespace glide::cuda
