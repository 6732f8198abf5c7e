// conv2d_backward: input gradient of a convolution (no dilation, zero padding):
//   columns [C·kh·kw, H'·W'] = wᵀ [C·kh·kw, O] · dy_n [O, H'·W'], then col2im sums every column entry
//   back onto the input pixel it was read from. For the CLIP patch embedding (stride = kernel, no
//   padding) every pixel receives exactly one entry.
#include <cstring>

#include "core/aligned_buffer.h"
#include "core/error.h"
#include "ops/cpu/backward.h"
#include "ops/cpu/gemm.h"

namespace glide::cpu {

Tensor conv2d_backward(const Tensor& dy, const Tensor& w, const Shape& input_shape, int stride, int pad) {
  check(w.rank() == 4 && dy.rank() == 4 && input_shape.size() == 4, "conv2d_backward: expected rank-4 tensors, got dy ",
        shape_str(dy.shape()), ", w ", shape_str(w.shape()), ", input ", shape_str(input_shape));
  const int64_t n = input_shape[0], c = input_shape[1], h = input_shape[2], wd = input_shape[3];
  const int64_t o = w.dim(0), kh = w.dim(2), kw = w.dim(3);
  check(w.dim(1) == c, "conv2d_backward: weight ", shape_str(w.shape()), " does not take ", c, " channels");
  check(stride > 0 && pad >= 0, "conv2d_backward: bad stride/padding");
  const int64_t ho = (h + 2 * pad - kh) / stride + 1, wo = (wd + 2 * pad - kw) / stride + 1;
  check(dy.dim(0) == n && dy.dim(1) == o && dy.dim(2) == ho && dy.dim(3) == wo, "conv2d_backward: gradient ",
        shape_str(dy.shape()), " does not match the output [", n, ", ", o, ", ", ho, ", ", wo, "]");
  const int64_t ck = c * kh * kw, hw = ho * wo;
  Tensor dx = cpu_tensor(input_shape);
  std::memset(dx.f32(), 0, dx.bytes());
  AlignedBuffer col_buf;
  float* cols = col_buf.reserve(static_cast<size_t>(ck * hw));
  for (int64_t b = 0; b < n; ++b) {
    // A(r, j) = w[j, r] (w viewed as [O, C·kh·kw])
    sgemm(ck, hw, o, MatrixView{w.f32(), 1, ck}, MatrixView{dy.f32() + b * o * hw, hw, 1}, cols, hw, false);
    float* dxb = dx.f32() + b * c * h * wd;
#pragma omp parallel for schedule(static) if (ck * hw > (1 << 15))
    for (int64_t ch = 0; ch < c; ++ch) {
      float* plane = dxb + ch * h * wd;
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx) {
          const float* col = cols + ((ch * kh + ky) * kw + kx) * hw;
          for (int64_t oy = 0; oy < ho; ++oy) {
            const int64_t iy = oy * stride - pad + ky;
            if (iy < 0 || iy >= h) continue;
            for (int64_t ox = 0; ox < wo; ++ox) {
              const int64_t ix = ox * stride - pad + kx;
              if (ix >= 0 && ix < wd) plane[iy * wd + ix] += col[oy * wo + ox];
            }
          }
        }
    }
  }
  return dx;
}

}  // namespace glide::cpu
