// resize_bilinear: [N, C, H, W] -> [N, C, h, w], bilinear with align_corners=False (half-pixel centres:
// src = (dst + ½)·in/out − ½, clamped at 0), no antialiasing — F.interpolate's rule with its float32 index
// arithmetic, rounded step by step (no fused multiply-add) like the CPU twin.
#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {
namespace {

struct Tap {
  int64_t i0, i1;
  float l0, l1;
};

__device__ __forceinline__ Tap tap(int64_t o, int64_t in, float scale) {
  float src = __fsub_rn(__fmul_rn(scale, __fadd_rn(static_cast<float>(o), 0.5f)), 0.5f);
  if (src < 0.0f) src = 0.0f;
  const int64_t i0 = static_cast<int64_t>(src);
  const int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
  const float l1 = fminf(fmaxf(__fsub_rn(src, static_cast<float>(i0)), 0.0f), 1.0f);
  return Tap{i0, i1, __fsub_rn(1.0f, l1), l1};
}

template <typename T>
__global__ void resize_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t planes, int64_t hi, int64_t wi,
                              int64_t ho, int64_t wo, float scale_y, float scale_x) {
  const int64_t n = planes * ho * wo;
  GLIDE_GRID_STRIDE(i, n) {
    const int64_t ox = i % wo, oy = (i / wo) % ho, p = i / (wo * ho);
    const Tap a = tap(oy, hi, scale_y), b = tap(ox, wi, scale_x);
    const T* r0 = x + (p * hi + a.i0) * wi;
    const T* r1 = x + (p * hi + a.i1) * wi;
    const float top = __fadd_rn(__fmul_rn(b.l0, to_f32(r0[b.i0])), __fmul_rn(b.l1, to_f32(r0[b.i1])));
    const float bottom = __fadd_rn(__fmul_rn(b.l0, to_f32(r1[b.i0])), __fmul_rn(b.l1, to_f32(r1[b.i1])));
    y[i] = from_f32<T>(__fadd_rn(__fmul_rn(a.l0, top), __fmul_rn(a.l1, bottom)));
  }
}

}  // namespace

Tensor CudaBackend::resize_bilinear(const Tensor& x, int64_t h, int64_t w) {
  const auto lock = enter();
  check_cuda(x, "resize_bilinear", "x");
  GLIDE_CHECK(x.rank() == 4, "resize_bilinear: input must be [N, C, H, W], got ", shape_str(x.shape()));
  GLIDE_CHECK(h > 0 && w > 0, "resize_bilinear: output size must be positive");
  const int64_t planes = x.dim(0) * x.dim(1), hi = x.dim(2), wi = x.dim(3);
  Tensor y = empty({x.dim(0), x.dim(1), h, w}, x.dtype());
  if (y.numel() == 0) return y;
  const float scale_y = static_cast<float>(hi) / static_cast<float>(h);
  const float scale_x = static_cast<float>(wi) / static_cast<float>(w);
  dispatch_dtype(x.dtype(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    resize_kernel<T><<<grid_for(y.numel()), kBlock, 0, stream_>>>(ptr<T>(x), ptr<T>(y), planes, hi, wi, h, w, scale_y,
                                                                  scale_x);
  });
  GLIDE_CUDA_CHECK_LAUNCH();
  return y;
}

}  // namespace glide::cuda
