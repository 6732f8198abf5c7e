// conv2d: y [N, O, H', W'] = w [O, C, kh, kw] ⋆ x [N, C, H, W] + b[O], as an implicit GEMM per image:
// Y[O, H'·W'] = W[O, C·kh·kw] · X̂[C·kh·kw, H'·W'], where the im2col matrix X̂ is never stored —
// its tiles are gathered straight from x while the GEMM packs them.
#include <cstring>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/cpu/gemm.h"

namespace glide::cpu {
namespace {

class Im2colPacker final : public BPacker {
 public:
  Im2colPacker(const float* x, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t stride, int64_t pad,
               int64_t ho, int64_t wo)
      : x_(x), h_(h), w_(w), kh_(kh), kw_(kw), stride_(stride), pad_(pad), ho_(ho), wo_(wo) {}

  void pack_panel(float* dst, int64_t k0, int64_t kc, int64_t n0, int64_t nr) const override {
    // Top-left input coordinate of each output column of the panel.
    int64_t iy0[kGemmNR];
    int64_t ix0[kGemmNR];
    for (int64_t j = 0; j < nr; ++j) {
      const int64_t col = n0 + j;
      iy0[j] = (col / wo_) * stride_ - pad_;
      ix0[j] = (col % wo_) * stride_ - pad_;
    }
    for (int64_t p = 0; p < kc; ++p) {
      const int64_t kk = k0 + p;
      const int64_t c = kk / (kh_ * kw_);
      const int64_t ky = (kk / kw_) % kh_;
      const int64_t kx = kk % kw_;
      const float* plane = x_ + c * h_ * w_;
      float* row = dst + p * kGemmNR;
      for (int64_t j = 0; j < nr; ++j) {
        const int64_t iy = iy0[j] + ky;
        const int64_t ix = ix0[j] + kx;
        row[j] = (iy >= 0 && iy < h_ && ix >= 0 && ix < w_) ? plane[iy * w_ + ix] : 0.0f;
      }
      for (int64_t j = nr; j < kGemmNR; ++j) row[j] = 0.0f;
    }
  }

 private:
  const float* x_;
  int64_t h_, w_, kh_, kw_, stride_, pad_, ho_, wo_;
};

}  // namespace

Tensor CpuBackend::conv2d(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int pad) {
  check(x.rank() == 4, "conv2d: input must be [N, C, H, W], got ", shape_str(x.shape()));
  check(w.rank() == 4, "conv2d: weight must be [O, C, kh, kw], got ", shape_str(w.shape()));
  check(x.dim(1) == w.dim(1), "conv2d: input has ", x.dim(1), " channels, weight expects ", w.dim(1));
  check(stride >= 1 && pad >= 0, "conv2d: bad stride/padding");
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t o = w.dim(0), kh = w.dim(2), kw = w.dim(3);
  const int64_t ho = (h + 2 * pad - kh) / stride + 1;
  const int64_t wo = (wd + 2 * pad - kw) / stride + 1;
  check(ho > 0 && wo > 0, "conv2d: kernel larger than the padded input");
  check(b == nullptr || (b->rank() == 1 && b->dim(0) == o), "conv2d: bias must be [", o, "]");

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
  const MatrixView weight{w.f32(), k, 1};
  for (int64_t img = 0; img < n; ++img) {
    const float* xi = x.f32() + img * c * h * wd;
    float* yi = yp + img * o * hw;
    if (kh == 1 && kw == 1 && stride == 1 && pad == 0) {
      sgemm(o, hw, k, weight, MatrixView{xi, hw, 1}, yi, hw, b != nullptr);
    } else {
      sgemm(o, hw, k, weight, Im2colPacker(xi, h, wd, kh, kw, stride, pad, ho, wo), yi, hw, b != nullptr);
    }
  }
  return y;
}

}  // namespace glide::cpu
