// group_norm on channels-last activations, fused with the ResBlock scale-shift and SiLU:
//   x [N, C, S] (stored [N, S, C]) -> y = SiLU?((x − mean_g)·rstd_g·gamma[c] + beta[c]) (·(1+scale) + shift)
// Two passes over x. Statistics: per-channel sums of (x − x[n, 0, c]) and its square over row chunks in
// float32 vectors (the shift by a sample value avoids cancellation), combined per group in double.
// Apply: (x − mean)·a + b per element with per-(n, c) factors (subtracting the mean first keeps
// precision when |mean| ≫ std), then SiLU, written once.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "ops/onednn/dtype_dispatch.h"
#include "ops/onednn/onednn_backend.h"

namespace glide::onednn {
namespace {

constexpr int64_t kRowsPerChunk = 256;

// Accumulates per-channel Σ(x − shift) and Σ(x − shift)² over rows [r0, r1) of one sample.
template <typename T>
void channel_sums(const T* x, const float* shift, int64_t c, int64_t r0, int64_t r1, float* sum, float* sq) {
  using namespace simd;
  for (int64_t c0 = 0; c0 < c; c0 += kLanes) {
    const int lanes = static_cast<int>(std::min<int64_t>(kLanes, c - c0));
    const vf s = load_part(shift + c0, lanes);
    vf a = zero(), q = zero();
    for (int64_t r = r0; r < r1; ++r) {
      const vf d = (lanes == kLanes ? load(x + r * c + c0) : load_part(x + r * c + c0, lanes)) - s;
      a = a + d;
      q = fmadd(d, d, q);
    }
    store_part(sum + c0, a, lanes);
    store_part(sq + c0, q, lanes);
  }
}

// y[r, :] = SiLU?((x[r, :] − m)·a + b) for rows [r0, r1).
template <typename T, bool kSilu>
void apply_rows(const T* x, T* y, const float* m, const float* a, const float* b, int64_t c, int64_t r0, int64_t r1) {
  using namespace simd;
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = x + r * c;
    T* yr = y + r * c;
    int64_t c0 = 0;
    for (; c0 + kLanes <= c; c0 += kLanes) {
      vf v = fmadd(load(xr + c0) - load(m + c0), load(a + c0), load(b + c0));
      if (kSilu) v = silu(v);
      store(yr + c0, v);
    }
    if (c0 < c) {
      const int lanes = static_cast<int>(c - c0);
      vf v = fmadd(load_part(xr + c0, lanes) - load_part(m + c0, lanes), load_part(a + c0, lanes),
                   load_part(b + c0, lanes));
      if (kSilu) v = silu(v);
      store_part(yr + c0, v, lanes);
    }
  }
}

}  // namespace

Tensor OnednnBackend::group_norm(const Tensor& x_in, const Tensor& gamma_in, const Tensor& beta_in,
                                 const GroupNormArgs& args) {
  GLIDE_CHECK(x_in.rank() >= 2, "group_norm: input must be [N, C, ...], got ", shape_str(x_in.shape()));
  const Tensor x = activation(x_in);
  const int64_t n = x.dim(0), c = x.dim(1);
  const int64_t groups = args.groups;
  GLIDE_CHECK(groups > 0 && c % groups == 0, "group_norm: ", c, " channels are not divisible into ", groups, " groups");
  const Tensor gamma = plain(gamma_in), beta = plain(beta_in);
  GLIDE_CHECK(gamma.numel() == c && beta.numel() == c, "group_norm: weight/bias must have ", c, " elements");
  Tensor ss;
  if (args.scale_shift != nullptr) {
    GLIDE_CHECK(args.scale_shift->numel() == n * 2 * c, "group_norm: scale-shift must be [", n, ", ", 2 * c, "], got ",
                shape_str(args.scale_shift->shape()));
    ss = plain(*args.scale_shift);
  }
  const int64_t s = x.numel() / (n * c);
  const int64_t cpg = c / groups;
  const int64_t chunks = std::max<int64_t>(1, (s + kRowsPerChunk - 1) / kRowsPerChunk);
  Tensor y = alloc(x.shape(), x.dtype(), Layout::ChannelsLast);

  // Per-(n, c) shift, partial sums per chunk, then the fused factors a, b.
  std::vector<float> shift(static_cast<size_t>(n * c));
  std::vector<float> sums(static_cast<size_t>(n * chunks * 2 * c));
  std::vector<float> fm(static_cast<size_t>(n * c)), fa(static_cast<size_t>(n * c)), fb(static_cast<size_t>(n * c));
  with_element_type(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = data_of<T>(x);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t ch = 0; ch < c; ++ch) shift[b * c + ch] = simd::to_float(xp[b * s * c + ch]);
    const bool parallel = x.numel() > (1 << 15);
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t task = 0; task < n * chunks; ++task) {
      const int64_t b = task / chunks, k = task % chunks;
      const int64_t r0 = k * kRowsPerChunk, r1 = std::min(s, r0 + kRowsPerChunk);
      float* part = sums.data() + task * 2 * c;
      channel_sums(xp + b * s * c, shift.data() + b * c, c, r0, r1, part, part + c);
    }

    const float* gp = gamma.f32();
    const float* bp = beta.f32();
    const float* ssp = ss.defined() ? ss.f32() : nullptr;
    const double count = static_cast<double>(cpg * s);
    for (int64_t b = 0; b < n; ++b) {
      std::vector<double> sum1(static_cast<size_t>(c), 0.0), sum2(static_cast<size_t>(c), 0.0);
      for (int64_t k = 0; k < chunks; ++k) {
        const float* part = sums.data() + (b * chunks + k) * 2 * c;
        for (int64_t ch = 0; ch < c; ++ch) {
          sum1[ch] += part[ch];
          sum2[ch] += part[c + ch];
        }
      }
      for (int64_t g = 0; g < groups; ++g) {
        double total = 0.0;
        for (int64_t ch = g * cpg; ch < (g + 1) * cpg; ++ch) total += sum1[ch] + s * static_cast<double>(shift[b * c + ch]);
        const double mean = total / count;
        // Σ(x − mean)² = Σ_c [Σ(x − s_c)² + 2(s_c − mean)·Σ(x − s_c) + S·(s_c − mean)²]
        double var = 0.0;
        for (int64_t ch = g * cpg; ch < (g + 1) * cpg; ++ch) {
          const double d = shift[b * c + ch] - mean;
          var += sum2[ch] + 2.0 * d * sum1[ch] + s * d * d;
        }
        const double rstd = 1.0 / std::sqrt(std::max(var, 0.0) / count + args.eps);
        for (int64_t ch = g * cpg; ch < (g + 1) * cpg; ++ch) {
          float a = static_cast<float>(rstd * gp[ch]);
          float sh = bp[ch];
          if (ssp != nullptr) {
            const float scale = 1.0f + ssp[b * 2 * c + ch];
            a *= scale;
            sh = sh * scale + ssp[b * 2 * c + c + ch];
          }
          fm[b * c + ch] = static_cast<float>(mean);
          fa[b * c + ch] = a;
          fb[b * c + ch] = sh;
        }
      }
    }

    T* yp = data_of<T>(y);
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t task = 0; task < n * chunks; ++task) {
      const int64_t b = task / chunks, k = task % chunks;
      const int64_t r0 = k * kRowsPerChunk, r1 = std::min(s, r0 + kRowsPerChunk);
      const T* xb = xp + b * s * c;
      T* yb = yp + b * s * c;
      const float* mb = fm.data() + b * c;
      if (args.silu)
        apply_rows<T, true>(xb, yb, mb, fa.data() + b * c, fb.data() + b * c, c, r0, r1);
      else
        apply_rows<T, false>(xb, yb, mb, fa.data() + b * c, fb.data() + b * c, c, r0, r1);
    }
  });
  return y;
}

}  // namespace glide::onednn
