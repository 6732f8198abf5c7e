// linear: y [..., O] = x [..., K] · w[O, K]ᵀ + b[O] — the GEMM core with A = x and B = w, both K-contiguous.
#include "ops/cuda/gemm.cuh"

namespace glide::cuda {

Tensor CudaBackend::linear(const Tensor& x, const Tensor& w_in, const Tensor* b_in) {
  const auto lock = enter();
  check_cuda(x, "linear", "x");
  check_cuda(w_in, "linear", "weight");
  GLIDE_CHECK(w_in.rank() == 2, "linear: weight must be [out, in], got ", shape_str(w_in.shape()));
  const int64_t k = w_in.dim(1), o = w_in.dim(0);
  GLIDE_CHECK(x.rank() >= 1 && x.dim(-1) == k, "linear: input ", shape_str(x.shape()), " does not end in ", k);
  const int64_t m = x.numel() / std::max<int64_t>(k, 1);
  GLIDE_CHECK(m <= 0x7fffffff && o <= 0x7fffffff && k <= 0x7fffffff, "linear: ", shape_str(x.shape()), " is too large");
  const Tensor w = cast(w_in, x.dtype());
  Tensor bias;
  if (b_in != nullptr) {
    bias = cast(*b_in, DType::F32);
    check_f32_vector(bias, o, "linear", "bias");
  }
  Shape out_shape = x.shape();
  out_shape.back() = o;
  Tensor y = empty(out_shape, x.dtype());
  run_gemm<BKind::Rows>(x.dtype(), x.raw(), k, vector_rows_ok(x.raw(), k, k, x.dtype()), w.raw(), k,
                        vector_rows_ok(w.raw(), k, k, x.dtype()), ConvGeometry{}, bias.defined() ? ptr<float>(bias) : nullptr,
                        y.raw(), false, static_cast<int>(m), static_cast<int>(o), static_cast<int>(k), multiprocessors_,
                        stream_);
  return y;
}

}  // namespace glide::cuda
