// select: x [..., D, ...] at index i of `axis` -> [..., ...] (that axis removed); one strided 2-D copy.
#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {

Tensor CudaBackend::select(const Tensor& x, int axis, int64_t index) {
  const auto lock = enter();
  check_cuda(x, "select", "x");
  const int r = x.rank();
  if (axis < 0) axis += r;
  GLIDE_CHECK(axis >= 0 && axis < r, "select: axis out of range for ", shape_str(x.shape()));
  if (index < 0) index += x.dim(axis);
  GLIDE_CHECK(index >= 0 && index < x.dim(axis), "select: index out of range for ", shape_str(x.shape()));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= x.dim(i);
  for (int i = axis + 1; i < r; ++i) inner *= x.dim(i);
  Shape shape = x.shape();
  shape.erase(shape.begin() + axis);
  Tensor y = empty(shape, x.dtype());
  const size_t es = dtype_size(x.dtype());
  const size_t row = static_cast<size_t>(inner) * es;
  if (row > 0 && outer > 0) {
    GLIDE_CUDA_CHECK(cudaMemcpy2DAsync(y.raw(), row, static_cast<const char*>(x.raw()) + index * row,
                                       static_cast<size_t>(x.dim(axis)) * row, row, static_cast<size_t>(outer),
                                       cudaMemcpyDeviceToDevice, stream_));
  }
  return y;
}

}  // namespace glide::cuda
