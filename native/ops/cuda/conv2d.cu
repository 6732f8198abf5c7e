// conv2d: y [N, O, H', W'] = w [O, C, kh, kw] ⋆ x [N, C, H, W] + b[O] as an implicit GEMM over the whole batch:
// Y[O, N·H'·W'] = W[O, C·kh·kw] · X̂[C·kh·kw, N·H'·W'], where the im2col matrix X̂ is gathered tile by tile
// straight from x (gemm.cuh) and the product is written in NCHW order.
#include "ops/cuda/gemm.cuh"

namespace glide::cuda {

Tensor CudaBackend::conv2d(const Tensor& x, const Tensor& w_in, const Tensor* b_in, int stride, int pad) {
  const auto lock = enter();
  check_cuda(x, "conv2d", "x");
  check_cuda(w_in, "conv2d", "weight");
  GLIDE_CHECK(x.rank() == 4, "conv2d: input must be [N, C, H, W], got ", shape_str(x.shape()));
  GLIDE_CHECK(w_in.rank() == 4, "conv2d: weight must be [O, C, kh, kw], got ", shape_str(w_in.shape()));
  GLIDE_CHECK(stride > 0 && pad >= 0, "conv2d: bad stride ", stride, " / padding ", pad);
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t o = w_in.dim(0), kh = w_in.dim(2), kw = w_in.dim(3);
  GLIDE_CHECK(w_in.dim(1) == c, "conv2d: weight ", shape_str(w_in.shape()), " expects ", w_in.dim(1),
              " input channels, got ", shape_str(x.shape()));
  const int64_t oh = (h + 2 * pad - kh) / stride + 1, ow = (wd + 2 * pad - kw) / stride + 1;
  GLIDE_CHECK(oh > 0 && ow > 0, "conv2d: kernel ", kh, "×", kw, " does not fit ", shape_str(x.shape()));
  const int64_t cols = n * oh * ow, k = c * kh * kw;
  GLIDE_CHECK(cols <= 0x7fffffff && k <= 0x7fffffff && x.numel() <= 0x7fffffffLL * 4 && o <= 65535 * 64,
              "conv2d: ", shape_str(x.shape()), " is too large");
  const Tensor w = cast(w_in, x.dtype());
  Tensor bias;
  if (b_in != nullptr) {
    bias = cast(*b_in, DType::F32);
    check_f32_vector(bias, o, "conv2d", "bias");
  }
  Tensor y = empty({n, o, oh, ow}, x.dtype());
  const ConvGeometry g{static_cast<int>(c), static_cast<int>(h), static_cast<int>(wd), static_cast<int>(kh),
                       static_cast<int>(kw), stride, pad, static_cast<int>(oh), static_cast<int>(ow)};
  const bool a_vec = vector_rows_ok(w.raw(), k, k, x.dtype());
  const float* bp = bias.defined() ? ptr<float>(bias) : nullptr;
  const int m = static_cast<int>(o), cols_i = static_cast<int>(cols), k_i = static_cast<int>(k);
  if (kh == 1 && kw == 1) {
    run_gemm<BKind::Im2col1x1>(x.dtype(), w.raw(), k, a_vec, x.raw(), 0, false, g, bp, y.raw(), true, m, cols_i, k_i,
                               multiprocessors_, stream_);
  } else if (kh == 3 && kw == 3) {
    run_gemm<BKind::Im2col3x3>(x.dtype(), w.raw(), k, a_vec, x.raw(), 0, false, g, bp, y.raw(), true, m, cols_i, k_i,
                               multiprocessors_, stream_);
  } else {
    run_gemm<BKind::Im2col>(x.dtype(), w.raw(), k, a_vec, x.raw(), 0, false, g, bp, y.raw(), true, m, cols_i, k_i,
                            multiprocessors_, stream_);
  }
  return y;
}

}  // namespace glide::cuda
