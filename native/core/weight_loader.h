// Reads checkpoint tensors straight from the file by byte offset (pread), one tensor at a time, so
// loading never holds a second copy of the checkpoint. The JS side parses the container (PyTorch zip
// or safetensors) and passes one TensorEntry per tensor.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/backend.h"

namespace glide {

/** Where one tensor lives in a checkpoint file. */
struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  std::vector<int64_t> strides;  // in elements
  uint64_t offset = 0;           // absolute byte offset of the first element
  uint64_t storage_bytes = 0;    // bytes available from `offset` (bounds check)
};

class WeightLoader {
 public:
  /** Opens `file`; throws naming it if it cannot be read. */
  WeightLoader(std::string file, std::vector<TensorEntry> entries, Backend& backend);
  ~WeightLoader();
  WeightLoader(const WeightLoader&) = delete;
  WeightLoader& operator=(const WeightLoader&) = delete;

  /** Loads tensor `name` (converted to float32, strided copies made contiguous), checking its shape;
   *  returns the backend's tensor. Throws naming the file and the tensor when it is missing,
   *  mis-shaped, or outside the file. */
  Tensor load(const std::string& name, const Shape& shape);
  /** Whether the file holds `name`. */
  bool has(const std::string& name) const { return entries_.count(name) != 0; }
  /** Throws if the file holds tensors the model did not load (the configuration does not match). */
  void check_all_used() const;
  const std::string& file() const { return file_; }
  /** The backend the weights are loaded for. */
  Backend& backend() const { return backend_; }

 private:
  void read_exact(void* dst, uint64_t bytes, uint64_t offset, const std::string& name) const;

  std::string file_;
  std::map<std::string, TensorEntry> entries_;
  std::set<std::string> used_;
  Backend& backend_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
};

}  // namespace glide
