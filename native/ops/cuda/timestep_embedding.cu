// timestep_embedding: t [N] -> [N, dim] = [cos(t·f_i), sin(t·f_i)] with f_i = exp(−ln(10000)·i/half),
// i < half = dim/2 (a zero column is appended for odd dim). Each step is rounded to float32 as the CPU
// twin and the reference compute it: exp and cos/sin are evaluated in float64 and rounded once, which
// gives the correctly rounded float32 (the C library's) except in rare ties.
#include <cmath>

#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {
namespace {

template <typename T>
__global__ void timestep_embedding_kernel(const float* __restrict__ timesteps, T* __restrict__ y, int64_t n, int64_t dim,
                                          float neg_log_period) {
  const int64_t half = dim / 2;
  GLIDE_GRID_STRIDE(e, n * dim) {
    const int64_t b = e / dim, col = e % dim;
    float v = 0.0f;
    if (col < 2 * half) {
      const int64_t i = col < half ? col : col - half;
      const float exponent = __fdiv_rn(__fmul_rn(neg_log_period, static_cast<float>(i)), static_cast<float>(half));
      const float freq = static_cast<float>(exp(static_cast<double>(exponent)));
      const double arg = static_cast<double>(__fmul_rn(timesteps[b], freq));
      v = static_cast<float>(col < half ? cos(arg) : sin(arg));
    }
    y[e] = from_f32<T>(v);
  }
}

}  // namespace

Tensor CudaBackend::timestep_embedding(const std::vector<float>& timesteps, int64_t dim) {
  const auto lock = enter();
  GLIDE_CHECK(dim > 0, "timestep_embedding: dim must be positive");
  const int64_t n = static_cast<int64_t>(timesteps.size());
  // During a graph capture with bound timesteps the kernel reads them from the bound buffer, which the
  // graph's owner refreshes before each replay; otherwise they are copied in (baked into a capture).
  const float* device_t = nullptr;
  std::shared_ptr<Storage> staged;
  if (bound_timesteps_ != nullptr) {
    GLIDE_CHECK(bound_timestep_count_ == n, "timestep_embedding: ", n, " timesteps but ", bound_timestep_count_,
                " are bound for the graph");
    device_t = bound_timesteps_;
  } else {
    staged = arena_.allocate(static_cast<size_t>(n) * sizeof(float));
    copy_to_device(staged->data(), timesteps.data(), static_cast<size_t>(n) * sizeof(float));
    device_t = static_cast<const float*>(staged->data());
  }
  Tensor y = empty({n, dim}, compute_dtype_);
  if (y.numel() == 0) return y;
  const float neg_log_period = static_cast<float>(-std::log(10000.0));
  dispatch_dtype(compute_dtype_, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    timestep_embedding_kernel<T><<<grid_for(n * dim), kBlock, 0, stream_>>>(device_t, ptr<T>(y), n, dim, neg_log_period);
  });
  GLIDE_CUDA_CHECK_LAUNCH();
  return y;
}

}  // namespace glide::cuda
