#include "core/tensor.h"

#include <new>

#include "core/cpu_allocator.h"
#include "core/error.h"

namespace glide {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, DType dtype, Layout layout)
    : storage_(std::move(storage)), shape_(std::move(shape)), dtype_(dtype), layout_(layout) {
  GLIDE_CHECK(storage_ == nullptr || bytes() <= storage_->bytes(), "tensor of shape ", shape_str(shape_),
        " does not fit its storage");
}

int64_t Tensor::dim(int i) const {
  const int r = rank();
  const int j = i < 0 ? i + r : i;
  GLIDE_CHECK(j >= 0 && j < r, "dimension ", i, " out of range for shape ", shape_str(shape_));
  return shape_[j];
}

Tensor Tensor::reshape(Shape shape) const {
  GLIDE_CHECK(shape_numel(shape) == numel(), "cannot reshape ", shape_str(shape_), " to ", shape_str(shape));
  GLIDE_CHECK(layout_ != Layout::ChannelsLast || (shape.size() >= 2 && shape[0] == shape_[0] && shape[1] == shape_[1]),
              "cannot reshape the channels-last ", shape_str(shape_), " to ", shape_str(shape),
              " (only its spatial dimensions may change)");
  return Tensor(storage_, std::move(shape), dtype_, layout_);
}

float* Tensor::f32() const {
  GLIDE_CHECK(defined(), "use of an undefined tensor");
  GLIDE_CHECK(dtype_ == DType::F32 && device() == Device::Cpu, "expected a float32 CPU tensor, got ",
        dtype_name(dtype_), " on ", device_name(device()));
  GLIDE_CHECK(layout_ == Layout::RowMajor, "expected a row-major tensor, got a ",
              layout_ == Layout::ChannelsLast ? "channels-last" : "backend-packed", " one of shape ", shape_str(shape_));
  return static_cast<float*>(storage_->data());
}

Tensor cpu_tensor(Shape shape, DType dtype, bool cached) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  void* data = nullptr;
  try {
    data = cached ? cpu_alloc(bytes) : cpu_alloc_uncached(bytes);
  } catch (const std::bad_alloc&) {
    fail("out of memory allocating ", bytes, " bytes for a tensor of shape ", shape_str(shape));
  }
  Storage::Deleter deleter;
  if (cached) {
    deleter = [bytes](void* p) { cpu_free(p, bytes); };
  } else {
    deleter = [](void* p) { cpu_free_uncached(p); };
  }
  auto storage = std::make_shared<Storage>(data, bytes, Device::Cpu, std::move(deleter));
  return Tensor(std::move(storage), std::move(shape), dtype);
}

}  // namespace glide
