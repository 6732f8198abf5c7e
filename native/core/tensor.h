// Tensor: a dense, contiguous, row-major array with a dtype and a device. Storage is shared by
// reference (copying a Tensor is cheap); `reshape` makes a view of the same storage.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace glide {

using Shape = std::vector<int64_t>;

/** Number of elements of a shape (1 for a scalar shape {}). */
int64_t shape_numel(const Shape& shape);

/** "[2, 3, 64, 64]" */
std::string shape_str(const Shape& shape);

/** One block of device memory, freed by its deleter when the last Tensor referencing it goes. */
class Storage {
 public:
  using Deleter = std::function<void(void*)>;
  Storage(void* data, size_t bytes, Device device, Deleter deleter)
      : data_(data), bytes_(bytes), device_(device), deleter_(std::move(deleter)) {}
  ~Storage() {
    if (deleter_) deleter_(data_);
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_;
  size_t bytes_;
  Device device_;
  Deleter deleter_;
};

class Tensor {
 public:
  Tensor() = default;
  Tensor(std::shared_ptr<Storage> storage, Shape shape, DType dtype);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  /** Size of dimension `i`; negative `i` counts from the end. */
  int64_t dim(int i) const;
  int64_t numel() const { return shape_numel(shape_); }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device() : Device::Cpu; }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  /** A view with another shape of the same element count. */
  Tensor reshape(Shape shape) const;

  /** Raw data pointer (any dtype/device). */
  void* raw() const { return storage_ ? storage_->data() : nullptr; }
  /** Float32 data of a CPU tensor; throws for any other dtype or device. */
  float* f32() const;

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  DType dtype_ = DType::F32;
};

/** Allocates an uninitialised CPU tensor (64-byte aligned). Activations come from the caching
 *  allocator; long-lived data (weights) pass `cached = false` so freeing them returns the memory. */
Tensor cpu_tensor(Shape shape, DType dtype = DType::F32, bool cached = true);

}  // namespace glide
