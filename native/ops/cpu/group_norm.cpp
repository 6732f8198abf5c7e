// group_norm: x [N, C, ...] -> same shape. Per (sample, group of C/groups channels): (x − mean)/√(var + eps),
// then ·gamma[c] + beta[c]; optionally ·(1 + scale[n,c]) + shift[n,c] (ResBlock scale-shift) and SiLU —
// fused so the activation is read once and written once.
#include <cmath>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/cpu/vec_math.h"

namespace glide::cpu {

Tensor CpuBackend::group_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const GroupNormArgs& args) {
  GLIDE_CHECK(x.rank() >= 2, "group_norm: input must be [N, C, ...], got ", shape_str(x.shape()));
  const int64_t n = x.dim(0), c = x.dim(1);
  const int64_t groups = args.groups;
  GLIDE_CHECK(groups > 0 && c % groups == 0, "group_norm: ", c, " channels are not divisible into ", groups, " groups");
  GLIDE_CHECK(gamma.numel() == c && beta.numel() == c, "group_norm: weight/bias must have ", c, " elements");
  const float* ss = nullptr;
  if (args.scale_shift != nullptr) {
    GLIDE_CHECK(args.scale_shift->numel() == n * 2 * c, "group_norm: scale-shift must be [", n, ", ", 2 * c, "], got ",
          shape_str(args.scale_shift->shape()));
    ss = args.scale_shift->f32();
  }
  const int64_t spatial = x.numel() / (n * c);
  const int64_t cpg = c / groups;
  const int64_t count = cpg * spatial;
  Tensor y = cpu_tensor(x.shape());
  const float* xp = x.f32();
  float* yp = y.f32();
  const float* gp = gamma.f32();
  const float* bp = beta.f32();
  const bool silu = args.silu;
  const double eps = args.eps;

#pragma omp parallel for schedule(static) if (x.numel() > kParallelElements)
  for (int64_t ng = 0; ng < n * groups; ++ng) {
    const int64_t b = ng / groups;
    const int64_t g = ng % groups;
    const float* src = xp + (b * c + g * cpg) * spatial;
    float* dst = yp + (b * c + g * cpg) * spatial;
    // Two passes in double: the mean first, then the centred variance (no cancellation).
    const double mean = sum_of(src, count) / static_cast<double>(count);
    const double var = centered_square_sum(src, count, mean);
    const double rstd = 1.0 / std::sqrt(var / static_cast<double>(count) + eps);
    for (int64_t cc = 0; cc < cpg; ++cc) {
      const int64_t ch = g * cpg + cc;
      // y = x·a + s, folding the normalisation and the affine weight.
      float a = static_cast<float>(rstd * gp[ch]);
      float s = static_cast<float>(bp[ch] - mean * rstd * gp[ch]);
      if (ss != nullptr) {
        const float scale = 1.0f + ss[b * 2 * c + ch];
        const float shift = ss[b * 2 * c + c + ch];
        a *= scale;
        s = s * scale + shift;
      }
      const float* xs = src + cc * spatial;
      float* ys = dst + cc * spatial;
      if (silu) {
        affine_silu(xs, ys, spatial, a, s);
      } else {
        for (int64_t i = 0; i < spatial; ++i) ys[i] = xs[i] * a + s;
      }
    }
  }
  return y;
}

}  // namespace glide::cpu
