// concat: parts [..., C_i, ...] joined along `axis` -> [..., ΣC_i, ...]; one strided 2-D copy per part
// (outer rows of C_i·inner elements), converted to the first part's dtype where they differ.
#include "ops/cuda/kernel_common.cuh"

namespace glide::cuda {

Tensor CudaBackend::concat(const std::vector<Tensor>& parts, int axis) {
  const auto lock = enter();
  GLIDE_CHECK(!parts.empty(), "concat: no inputs");
  const int r = parts[0].rank();
  if (axis < 0) axis += r;
  GLIDE_CHECK(axis >= 0 && axis < r, "concat: axis out of range");
  Shape shape = parts[0].shape();
  shape[axis] = 0;
  for (const Tensor& p : parts) {
    check_cuda(p, "concat", "every part");
    GLIDE_CHECK(p.rank() == r, "concat: ranks differ");
    for (int i = 0; i < r; ++i)
      GLIDE_CHECK(i == axis || p.dim(i) == parts[0].dim(i), "concat: ", shape_str(p.shape()), " does not match ",
                  shape_str(parts[0].shape()), " outside axis ", axis);
    shape[axis] += p.dim(axis);
  }
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape[i];
  for (int i = axis + 1; i < r; ++i) inner *= shape[i];
  const DType dtype = parts[0].dtype();
  const size_t es = dtype_size(dtype);
  Tensor out = empty(shape, dtype);
  const size_t out_row = static_cast<size_t>(shape[axis] * inner) * es;
  size_t offset = 0;
  for (const Tensor& p_in : parts) {
    const Tensor p = cast(p_in, dtype);
    const size_t row = static_cast<size_t>(p.dim(axis) * inner) * es;
    if (row > 0 && outer > 0) {
      GLIDE_CUDA_CHECK(cudaMemcpy2DAsync(static_cast<char*>(out.raw()) + offset, out_row, p.raw(), row, row,
                                         static_cast<size_t>(outer), cudaMemcpyDeviceToDevice, stream_));
    }
    offset += row;
  }
  return out;
}

}  // namespace glide::cuda
