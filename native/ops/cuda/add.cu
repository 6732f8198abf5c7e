// add: a + b (b broadcast to a)
#include "ops/cuda/elementwise.cuh"

namespace glide::cuda {
namespace {

struct AddOp {
  __device__ float operator()(float x, float y) const { return x + y; }
};

}  // namespace

Tensor CudaBackend::add(const Tensor& a, const Tensor& b) { return broadcast_binary(*this, "add", a, b, AddOp{}); }

}  // namespace glide::cuda
