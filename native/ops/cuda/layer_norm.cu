// layer_norm: x [..., W] normalised over the last dimension (eps inside the square root), ·gamma + beta.
// One warp per row; mean and centred variance accumulated in float64 (two passes, as the CPU twin).
#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {
namespace {

constexpr int kRowsPerBlock = 8;  // warps per block

template <typename T>
__global__ void layer_norm_kernel(const T* __restrict__ x, const float* __restrict__ gamma, const float* __restrict__ beta,
                                  T* __restrict__ y, int64_t rows, int64_t w, double eps) {
  const int64_t row = blockIdx.x * static_cast<int64_t>(kRowsPerBlock) + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;
  const T* src = x + row * w;
  T* dst = y + row * w;
  double s = 0.0;
  for (int64_t i = lane; i < w; i += 32) s += to_f32(src[i]);
  const double mean = warp_sum(s) / static_cast<double>(w);
  double q = 0.0;
  for (int64_t i = lane; i < w; i += 32) {
    const double d = to_f32(src[i]) - mean;
    q += d * d;
  }
  const double rstd = 1.0 / sqrt(warp_sum(q) / static_cast<double>(w) + eps);
  for (int64_t i = lane; i < w; i += 32)
    dst[i] = from_f32<T>(static_cast<float>((to_f32(src[i]) - mean) * rstd) * gamma[i] + beta[i]);
}

}  // namespace

Tensor CudaBackend::layer_norm(const Tensor& x, const Tensor& gamma_in, const Tensor& beta_in, float eps) {
  const auto lock = enter();
  check_cuda(x, "layer_norm", "x");
  GLIDE_CHECK(x.rank() >= 1, "layer_norm: input must have at least one dimension");
  const int64_t w = x.dim(-1);
  const Tensor gamma = cast(gamma_in, DType::F32), beta = cast(beta_in, DType::F32);
  check_f32_vector(gamma, w, "layer_norm", "weight");
  check_f32_vector(beta, w, "layer_norm", "bias");
  Tensor y = empty(x.shape(), x.dtype());
  if (x.numel() == 0) return y;
  const int64_t rows = x.numel() / w;
  const unsigned blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
  dispatch_dtype(x.dtype(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    layer_norm_kernel<T><<<blocks, kRowsPerBlock * 32, 0, stream_>>>(ptr<T>(x), ptr<float>(gamma), ptr<float>(beta),
                                                                      ptr<T>(y), rows, w, static_cast<double>(eps));
  });
  GLIDE_CUDA_CHECK_LAUNCH();
  return y;
}

}  // namespace glide::cuda
