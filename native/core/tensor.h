// Tensor: a dense, contiguous array with a dtype, a device and a memory layout (row-major unless a
// backend chose otherwise, see Layout). Storage is shared by reference (copying a Tensor is cheap);
// `reshape` makes a view of the same storage.
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

/**
 * Memory order of a tensor's elements. The portable CPU backend only makes RowMajor tensors; the oneDNN
 * backend keeps activations ChannelsLast and its prepacked weights Opaque. Ops read a non-RowMajor
 * tensor only through the backend that made it (`f32()` refuses them).
 */
enum class Layout : uint8_t {
  RowMajor,      // C order: the last dimension varies fastest
  ChannelsLast,  // logical [N, C, d1, d2, ...] stored as [N, d1, d2, ..., C]
  Opaque,        // backend-private arrangement (e.g. weights reordered for oneDNN); raw() is not element data
};

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
  Tensor(std::shared_ptr<Storage> storage, Shape shape, DType dtype, Layout layout = Layout::RowMajor);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  /** Size of dimension `i`; negative `i` counts from the end. */
  int64_t dim(int i) const;
  int64_t numel() const { return shape_numel(shape_); }
  DType dtype() const { return dtype_; }
  Layout layout() const { return layout_; }
  Device device() const { return storage_ ? storage_->device() : Device::Cpu; }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  /** A view with another shape of the same element count. A ChannelsLast tensor keeps its first two
   *  dimensions (N, C) and only merges or splits the spatial ones, which leaves its memory order valid. */
  Tensor reshape(Shape shape) const;

  /** Raw data pointer (any dtype/device). */
  void* raw() const { return storage_ ? storage_->data() : nullptr; }
  /** Float32 data of a row-major CPU tensor; throws for any other dtype, device or layout. */
  float* f32() const;

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  DType dtype_ = DType::F32;
  Layout layout_ = Layout::RowMajor;
};

/** Allocates an uninitialised CPU tensor (64-byte aligned). Activations come from the caching
 *  allocator; long-lived data (weights) pass `cached = false` so freeing them returns the memory. */
Tensor cpu_tensor(Shape shape, DType dtype = DType::F32, bool cached = true);

}  // namespace glide
