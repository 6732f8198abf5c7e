// group_norm: x [N, C, ...] -> same shape. Per (sample, group of C/groups channels): (x − mean)/√(var + eps),
// then ·gamma[c] + beta[c]; optionally ·(1 + scale[n,c]) + shift[n,c] (ResBlock scale-shift) and SiLU.
// Three kernels: (1) float64 partial sums over chunks of each group's contiguous span (enough blocks to
// fill the GPU even for the upsampler's 32 groups at 256×256); (2) per (sample, channel) the folded affine
// y = x·a + s, computed in float64 as the CPU twin does; (3) one fused pass reading x once and writing y once.
#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {
namespace {

constexpr int64_t kChunk = 16384;  // elements per stats block
constexpr int kMaxChunks = 64;

// grid (groups·N, chunks): partial[ng·chunks + k] = (Σx, Σx²) over chunk k of group ng.
template <typename T>
__global__ void group_stats_kernel(const T* __restrict__ x, double2* __restrict__ partial, int64_t count, int chunks) {
  const int64_t ng = blockIdx.x;
  const int k = blockIdx.y;
  const int64_t per = (count + chunks - 1) / chunks;
  const int64_t begin = k * per, end = min(count, begin + per);
  const T* src = x + ng * count;
  double s = 0.0, q = 0.0;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const double v = to_f32(src[i]);
    s += v;
    q += v * v;
  }
  s = block_sum(s);
  q = block_sum(q);
  if (threadIdx.x == 0) partial[ng * chunks + k] = make_double2(s, q);
}

// One thread per (sample b, channel c): coef[b·C + c] = (a, s) with y = x·a + s.
__global__ void group_coef_kernel(const double2* __restrict__ partial, int chunks, int64_t count, int64_t n, int64_t c,
                                  int64_t groups, const float* __restrict__ gamma, const float* __restrict__ beta,
                                  const void* scale_shift, DType ss_dtype, double eps, float2* __restrict__ coef) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n * c) return;
  const int64_t b = i / c, ch = i % c, g = ch / (c / groups);
  double s = 0.0, q = 0.0;
  for (int k = 0; k < chunks; ++k) {
    const double2 p = partial[(b * groups + g) * chunks + k];
    s += p.x;
    q += p.y;
  }
  const double mean = s / static_cast<double>(count);
  const double var = fmax(q / static_cast<double>(count) - mean * mean, 0.0);
  const double rstd = 1.0 / sqrt(var + eps);
  float a = static_cast<float>(rstd * gamma[ch]);
  float sh = static_cast<float>(beta[ch] - mean * rstd * gamma[ch]);
  if (scale_shift != nullptr) {
    const int64_t at = b * 2 * c + ch;
    float scale, shift;
    if (ss_dtype == DType::F32) {
      scale = static_cast<const float*>(scale_shift)[at];
      shift = static_cast<const float*>(scale_shift)[at + c];
    } else if (ss_dtype == DType::BF16) {
      scale = to_f32(static_cast<const bf16*>(scale_shift)[at]);
      shift = to_f32(static_cast<const bf16*>(scale_shift)[at + c]);
    } else {
      scale = to_f32(static_cast<const half*>(scale_shift)[at]);
      shift = to_f32(static_cast<const half*>(scale_shift)[at + c]);
    }
    scale = 1.0f + scale;
    a *= scale;
    sh = sh * scale + shift;
  }
  coef[i] = make_float2(a, sh);
}

// grid (spatial blocks, N·C): y = x·a + s (+ SiLU) over one (sample, channel) plane.
template <typename T, bool kSilu>
__global__ void group_apply_kernel(const T* __restrict__ x, const float2* __restrict__ coef, T* __restrict__ y,
                                   int64_t spatial) {
  const int64_t plane = blockIdx.y;
  const float2 k = coef[plane];
  const T* src = x + plane * spatial;
  T* dst = y + plane * spatial;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < spatial;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float v = to_f32(src[i]) * k.x + k.y;
    if (kSilu) v = v / (1.0f + expf(-v));
    dst[i] = from_f32<T>(v);
  }
}

}  // namespace

Tensor CudaBackend::group_norm(const Tensor& x, const Tensor& gamma_in, const Tensor& beta_in, const GroupNormArgs& args) {
  const auto lock = enter();
  check_cuda(x, "group_norm", "x");
  GLIDE_CHECK(x.rank() >= 2, "group_norm: input must be [N, C, ...], got ", shape_str(x.shape()));
  const int64_t n = x.dim(0), c = x.dim(1);
  const int64_t groups = args.groups;
  GLIDE_CHECK(groups > 0 && c % groups == 0, "group_norm: ", c, " channels are not divisible into ", groups, " groups");
  const Tensor gamma = cast(gamma_in, DType::F32), beta = cast(beta_in, DType::F32);
  check_f32_vector(gamma, c, "group_norm", "weight");
  check_f32_vector(beta, c, "group_norm", "bias");
  const Tensor* ss = args.scale_shift;
  if (ss != nullptr) {
    check_cuda(*ss, "group_norm", "scale-shift");
    GLIDE_CHECK(ss->numel() == n * 2 * c, "group_norm: scale-shift must be [", n, ", ", 2 * c, "], got ",
                shape_str(ss->shape()));
  }
  Tensor y = empty(x.shape(), x.dtype());
  if (x.numel() == 0) return y;
  const int64_t spatial = x.numel() / (n * c);
  const int64_t count = (c / groups) * spatial;
  const int chunks = static_cast<int>(std::min<int64_t>(kMaxChunks, std::max<int64_t>(1, (count + kChunk - 1) / kChunk)));
  GLIDE_CHECK(n * groups <= 0x7fffffff && n * c <= 65535, "group_norm: batch × channels ", n * c, " is too large");

  auto partial = arena_.allocate(static_cast<size_t>(n * groups * chunks) * sizeof(double2));
  auto coef = arena_.allocate(static_cast<size_t>(n * c) * sizeof(float2));
  auto* partial_p = static_cast<double2*>(partial->data());
  auto* coef_p = static_cast<float2*>(coef->data());
  const unsigned apply_blocks = static_cast<unsigned>(std::min<int64_t>((spatial + kBlock - 1) / kBlock, 64));
  dispatch_dtype(x.dtype(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    group_stats_kernel<T><<<dim3(static_cast<unsigned>(n * groups), chunks), kBlock, 0, stream_>>>(ptr<T>(x), partial_p,
                                                                                                  count, chunks);
    group_coef_kernel<<<grid_for(n * c), kBlock, 0, stream_>>>(partial_p, chunks, count, n, c, groups, ptr<float>(gamma),
                                                               ptr<float>(beta), ss ? ss->raw() : nullptr,
                                                               ss ? ss->dtype() : DType::F32, args.eps, coef_p);
    const dim3 grid(apply_blocks, static_cast<unsigned>(n * c));
    if (args.silu) {
      group_apply_kernel<T, true><<<grid, kBlock, 0, stream_>>>(ptr<T>(x), coef_p, ptr<T>(y), spatial);
    } else {
      group_apply_kernel<T, false><<<grid, kBlock, 0, stream_>>>(ptr<T>(x), coef_p, ptr<T>(y), spatial);
    }
  });
  GLIDE_CUDA_CHECK_LAUNCH();
  return y;
}

}  // namespace glide::cuda
