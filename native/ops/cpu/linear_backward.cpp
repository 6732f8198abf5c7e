// linear_backward: input gradient of y = x·wᵀ + b: dx [..., K] = dy [..., O] · w [O, K].
#include "core/error.h"
#include "ops/cpu/backward.h"
#include "ops/cpu/gemm.h"

namespace glide::cpu {

Tensor linear_backward(const Tensor& dy, const Tensor& w) {
  check(w.rank() == 2, "linear_backward: weight must be [out, in], got ", shape_str(w.shape()));
  const int64_t o = w.dim(0), k = w.dim(1);
  check(dy.rank() >= 1 && dy.dim(-1) == o, "linear_backward: gradient ", shape_str(dy.shape()), " does not end in ", o);
  const int64_t m = dy.numel() / o;
  Shape shape = dy.shape();
  shape.back() = k;
  Tensor dx = cpu_tensor(shape);
  sgemm(m, k, o, MatrixView{dy.f32(), o, 1}, MatrixView{w.f32(), k, 1}, dx.f32(), k, false);
  return dx;
}

}  // namespace glide::cpu
