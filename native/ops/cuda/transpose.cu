// transpose_last2: [..., A, B] -> [..., B, A], through 32×32 shared-memory tiles so that both the reads
// and the writes are coalesced.
#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {
namespace {

constexpr int kTile = 32;

// grid: (ceil(B/32), ceil(A/32), batch); block: 32×8.
template <typename T>
__global__ void transpose_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t a, int64_t b) {
  __shared__ T tile[kTile][kTile + 1];  // +1: no bank conflicts on the column reads
  const int64_t base = static_cast<int64_t>(blockIdx.z) * a * b;
  const int64_t j0 = static_cast<int64_t>(blockIdx.x) * kTile, i0 = static_cast<int64_t>(blockIdx.y) * kTile;
  for (int r = threadIdx.y; r < kTile; r += blockDim.y) {
    const int64_t i = i0 + r, j = j0 + threadIdx.x;
    if (i < a && j < b) tile[r][threadIdx.x] = x[base + i * b + j];
  }
  __syncthreads();
  for (int r = threadIdx.y; r < kTile; r += blockDim.y) {
    const int64_t j = j0 + r, i = i0 + threadIdx.x;
    if (i < a && j < b) y[base + j * a + i] = tile[threadIdx.x][r];
  }
}

}  // namespace

Tensor CudaBackend::transpose_last2(const Tensor& x) {
  const auto lock = enter();
  check_cuda(x, "transpose_last2", "x");
  GLIDE_CHECK(x.rank() >= 2, "transpose_last2: rank must be at least 2");
  const int64_t a = x.dim(-2), b = x.dim(-1);
  Shape shape = x.shape();
  shape[shape.size() - 2] = b;
  shape[shape.size() - 1] = a;
  Tensor y = empty(shape, x.dtype());
  if (x.numel() == 0) return y;
  const int64_t batch = x.numel() / (a * b);
  GLIDE_CHECK(batch <= 65535, "transpose_last2: more than 65535 matrices");
  const dim3 grid(static_cast<unsigned>((b + kTile - 1) / kTile), static_cast<unsigned>((a + kTile - 1) / kTile),
                  static_cast<unsigned>(batch));
  dispatch_dtype(x.dtype(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    transpose_kernel<T><<<grid, dim3(kTile, 8), 0, stream_>>>(ptr<T>(x), ptr<T>(y), a, b);
  });
  GLIDE_CUDA_CHECK_LAUNCH();
  return y;
}

}  // namespace glide::cuda
