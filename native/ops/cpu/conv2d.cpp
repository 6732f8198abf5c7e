// conv2d: y [N, O, H', W'] = w [O, C, kh, kw] ⋆ x [N, C, H, W] + b[O], as an implicit GEMM per image:
// Y[O, H'·W'] = W[O, C·kh·kw] · X̂[C·kh·kw, H'·W'], where the im2col matrix X̂ is never stored —
// its tiles are gathered straight from x while the GEMM packs them.
#include <algorithm>
#include <vector>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/cpu/gemm.h"

namespace glide::cpu {
namespace {

class Im2colPacker final : public BPacker {
 public:
  Im2colPacker(const float* x, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t stride, int64_t pad, int64_t wo)
      : x_(x), h_(h), w_(w), kh_(kh), kw_(kw), stride_(stride), pad_(pad), wo_(wo) {}

  void pack_panel(float* dst, int64_t k0, int64_t kc, int64_t n0, int64_t nr) const override {
    // The panel's columns split into runs lying in one output row; within a run the input columns
    // advance by `stride`, so each (run, k) is a zero lead, a copy and a zero tail.
    struct Run {
      int64_t j0, len, oy, ox0;
    };
    Run runs[kGemmNR];
    int runs_n = 0;
    for (int64_t j = 0; j < nr;) {
      const int64_t col = n0 + j;
      const int64_t ox = col % wo_;
      const int64_t len = std::min(nr - j, wo_ - ox);
      runs[runs_n++] = Run{j, len, col / wo_, ox};
      j += len;
    }
    int64_t c = k0 / (kh_ * kw_);
    int64_t ky = (k0 / kw_) % kh_;
    int64_t kx = k0 % kw_;
    for (int64_t p = 0; p < kc; ++p) {
      const float* plane = x_ + c * h_ * w_;
      float* row = dst + p * kGemmNR;
      for (int r = 0; r < runs_n; ++r) {
        const Run& run = runs[r];
        float* d = row + run.j0;
        const int64_t iy = run.oy * stride_ - pad_ + ky;
        if (iy < 0 || iy >= h_) {
          std::fill(d, d + run.len, 0.0f);
          continue;
        }
        const float* src = plane + iy * w_;
        const int64_t ix0 = run.ox0 * stride_ - pad_ + kx;
        // Valid t: 0 <= ix0 + t·stride < w.
        const int64_t lead = std::min(run.len, ix0 < 0 ? (-ix0 + stride_ - 1) / stride_ : int64_t{0});
        const int64_t end = std::clamp<int64_t>(ix0 < w_ ? (w_ - 1 - ix0) / stride_ + 1 : 0, lead, run.len);
        std::fill(d, d + lead, 0.0f);
        if (stride_ == 1) {
          std::copy(src + ix0 + lead, src + ix0 + end, d + lead);
        } else {
          for (int64_t t = lead; t < end; ++t) d[t] = src[ix0 + t * stride_];
        }
        std::fill(d + end, d + run.len, 0.0f);
      }
      std::fill(row + nr, row + kGemmNR, 0.0f);
      if (++kx == kw_) {
        kx = 0;
        if (++ky == kh_) {
          ky = 0;
          ++c;
        }
      }
    }
  }

 private:
  const float* x_;
  int64_t h_, w_, kh_, kw_, stride_, pad_, wo_;
};

}  // namespace

Tensor CpuBackend::conv2d(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int pad) {
  GLIDE_CHECK(x.rank() == 4, "conv2d: input must be [N, C, H, W], got ", shape_str(x.shape()));
  GLIDE_CHECK(w.rank() == 4, "conv2d: weight must be [O, C, kh, kw], got ", shape_str(w.shape()));
  GLIDE_CHECK(x.dim(1) == w.dim(1), "conv2d: input has ", x.dim(1), " channels, weight expects ", w.dim(1));
  GLIDE_CHECK(stride >= 1 && pad >= 0, "conv2d: bad stride/padding");
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t o = w.dim(0), kh = w.dim(2), kw = w.dim(3);
  const int64_t ho = (h + 2 * pad - kh) / stride + 1;
  const int64_t wo = (wd + 2 * pad - kw) / stride + 1;
  GLIDE_CHECK(ho > 0 && wo > 0, "conv2d: kernel larger than the padded input");
  GLIDE_CHECK(b == nullptr || (b->rank() == 1 && b->dim(0) == o), "conv2d: bias must be [", o, "]");

  Tensor y = cpu_tensor({n, o, ho, wo});
  const int64_t hw = ho * wo;
  const int64_t k = c * kh * kw;
  float* yp = y.f32();
  if (b != nullptr) {
    const float* bp = b->f32();
#pragma omp parallel for if (n * o * hw > kParallelElements)
    for (int64_t i = 0; i < n * o; ++i) {
      float* row = yp + i * hw;
      const float v = bp[i % o];
      for (int64_t j = 0; j < hw; ++j) row[j] = v;
    }
  }
  // One GEMM for all images: the packed weight is shared, each image supplies its B and C.
  std::vector<Im2colPacker> im2col;
  std::vector<MatrixPacker> direct;
  std::vector<GemmItem> items;
  const bool pointwise = kh == 1 && kw == 1 && stride == 1 && pad == 0;
  // Reserved up front: items keep pointers into these vectors.
  direct.reserve(static_cast<size_t>(n));
  im2col.reserve(static_cast<size_t>(n));
  for (int64_t img = 0; img < n; ++img) {
    const float* xi = x.f32() + img * c * h * wd;
    const BPacker* packer;
    if (pointwise) {
      packer = &direct.emplace_back(MatrixView{xi, hw, 1});
    } else {
      packer = &im2col.emplace_back(xi, h, wd, kh, kw, stride, pad, wo);
    }
    items.push_back(GemmItem{packer, yp + img * o * hw});
  }
  sgemm(o, hw, k, MatrixView{w.f32(), k, 1}, items, hw, b != nullptr);
  return y;
}

}  // namespace glide::cpu
