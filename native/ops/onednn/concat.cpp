// concat along channels of channels-last activations (the UNet's skip connections): each output
// position is the parts' channel runs one after another. Other axes and all-row-major inputs use the
// portable kernel.
#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#include "ops/onednn/onednn_backend.h"

namespace glide::onednn {

Tensor OnednnBackend::concat(const std::vector<Tensor>& parts_in, int axis) {
  GLIDE_CHECK(!parts_in.empty(), "concat: no tensors");
  const bool any_cl = std::any_of(parts_in.begin(), parts_in.end(), [](const Tensor& t) { return t.layout() == Layout::ChannelsLast; });
  if (!any_cl || axis != 1) {
    std::vector<Tensor> plain_parts;
    for (const Tensor& t : parts_in) plain_parts.push_back(plain(t));
    return cpu::cpu_backend().concat(plain_parts, axis);
  }
  std::vector<Tensor> parts;
  Shape shape = parts_in[0].shape();
  shape[1] = 0;
  for (const Tensor& t : parts_in) {
    GLIDE_CHECK(t.rank() == static_cast<int>(shape.size()) && t.dim(0) == shape[0], "concat: part ", shape_str(t.shape()),
                " does not match ", shape_str(parts_in[0].shape()));
    for (int i = 2; i < t.rank(); ++i)
      GLIDE_CHECK(t.dim(i) == shape[i], "concat: part ", shape_str(t.shape()), " does not match ",
                  shape_str(parts_in[0].shape()));
    parts.push_back(activation(t));
    shape[1] += t.dim(1);
  }
  Tensor y = alloc(shape, act_dtype(), Layout::ChannelsLast);
  const int64_t rows = y.numel() / shape[1];
  const size_t esize = dtype_size(act_dtype());
  const size_t out_row = static_cast<size_t>(shape[1]) * esize;
  auto* yp = static_cast<uint8_t*>(y.raw());
#pragma omp parallel for schedule(static) if (y.numel() > (1 << 15))
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* dst = yp + r * out_row;
    for (const Tensor& t : parts) {
      const size_t run = static_cast<size_t>(t.dim(1)) * esize;
      std::memcpy(dst, static_cast<const uint8_t*>(t.raw()) + r * run, run);
      dst += run;
    }
  }
  return y;
}

}  // namespace glide::onednn
