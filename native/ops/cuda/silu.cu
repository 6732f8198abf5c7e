// silu: x·sigmoid(x) = x / (1 + e^(−x))
#include "ops/cuda/elementwise.cuh"

namespace glide::cuda {
namespace {

struct SiluOp {
  __device__ float operator()(float x) const { return x / (1.0f + expf(-x)); }
};

}  // namespace

Tensor CudaBackend::silu(const Tensor& x) { return unary(*this, "silu", x, SiluOp{}); }

}  // namespace glide::cuda
