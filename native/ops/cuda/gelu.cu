// gelu: exact (erf) form, x·½·(1 + erf(x/√2)), as torch.nn.GELU() by default.
#include "ops/cuda/elementwise.cuh"

namespace glide::cuda {
namespace {

struct GeluOp {
  __device__ float operator()(float x) const { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
};

}  // namespace

Tensor CudaBackend::gelu(const Tensor& x) { return unary(*this, "gelu", x, GeluOp{}); }

}  // namespace glide::cuda
