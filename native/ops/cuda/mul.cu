// mul: a · b (b broadcast to a)
#include "ops/cuda/elementwise.cuh"

namespace glide::cuda {
namespace {

struct MulOp {
  __device__ float operator()(float x, float y) const { return x * y; }
};

}  // namespace

Tensor CudaBackend::mul(const Tensor& a, const Tensor& b) { return broadcast_binary(*this, "mul", a, b, MulOp{}); }

}  // namespace glide::cuda
