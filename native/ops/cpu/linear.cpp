// linear: y [..., O] = x [..., K] · w[O, K]ᵀ + b[O]
#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/cpu/gemm.h"

namespace glide::cpu {

Tensor CpuBackend::linear(const Tensor& x, const Tensor& w, const Tensor* b) {
  GLIDE_CHECK(w.rank() == 2, "linear: weight must be [out, in], got ", shape_str(w.shape()));
  const int64_t k = w.dim(1);
  const int64_t o = w.dim(0);
  GLIDE_CHECK(x.rank() >= 1 && x.dim(-1) == k, "linear: input ", shape_str(x.shape()), " does not end in ", k);
  GLIDE_CHECK(b == nullptr || (b->rank() == 1 && b->dim(0) == o), "linear: bias must be [", o, "]");
  const int64_t m = x.numel() / k;
  Shape out_shape = x.shape();
  out_shape.back() = o;
  Tensor y = cpu_tensor(out_shape);
  float* yp = y.f32();
  if (b != nullptr) {
    const float* bp = b->f32();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < o; ++j) yp[i * o + j] = bp[j];
  }
  // B(k, j) = w[j, k]: the weight read transposed.
  sgemm(m, o, k, MatrixView{x.f32(), k, 1}, MatrixView{w.f32(), 1, k}, yp, o, b != nullptr);
  return y;
}

}  // namespace glide::cpu
