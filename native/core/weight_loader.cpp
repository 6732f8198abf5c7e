#include "core/weight_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace glide {
namespace {

bool is_contiguous(const Shape& shape, const std::vector<int64_t>& strides) {
  int64_t expected = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    if (shape[i] != 1 && strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

float to_float(const uint8_t* p, DType dtype) {
  if (dtype == DType::F32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, p, 2);
  return dtype == DType::F16 ? half_to_float(h) : bf16_to_float(h);
}

}  // namespace

WeightLoader::WeightLoader(std::string file, std::vector<TensorEntry> entries, Backend& backend)
    : file_(std::move(file)), backend_(backend) {
  for (TensorEntry& e : entries) {
    GLIDE_CHECK(e.strides.size() == e.shape.size(), file_, ": tensor '", e.name, "' has ", e.strides.size(),
          " strides for shape ", shape_str(e.shape));
    std::string key = e.name;
    entries_.emplace(std::move(key), std::move(e));
  }
  fd_ = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  GLIDE_CHECK(fd_ >= 0, file_, ": cannot open (", std::strerror(errno), ")");
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    throw std::runtime_error(str_cat(file_, ": cannot stat (", std::strerror(err), ")"));
  }
  file_size_ = static_cast<uint64_t>(st.st_size);
}

WeightLoader::~WeightLoader() {
  if (fd_ >= 0) ::close(fd_);
}

void WeightLoader::read_exact(void* dst, uint64_t bytes, uint64_t offset, const std::string& name) const {
  GLIDE_CHECK(offset + bytes <= file_size_, file_, ": truncated file — tensor '", name, "' needs bytes [", offset, ", ",
        offset + bytes, ") but the file has ", file_size_);
  auto* out = static_cast<uint8_t*>(dst);
  uint64_t done = 0;
  while (done < bytes) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(bytes - done, 1u << 30));
    const ssize_t got = ::pread(fd_, out + done, chunk, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    GLIDE_CHECK(got > 0, file_, ": reading tensor '", name, "' failed (",
          got == 0 ? "unexpected end of file" : std::strerror(errno), ")");
    done += static_cast<uint64_t>(got);
  }
}

Tensor WeightLoader::load(const std::string& name, const Shape& shape) {
  const auto it = entries_.find(name);
  GLIDE_CHECK(it != entries_.end(), file_, ": tensor '", name, "' is missing (expected shape ", shape_str(shape), ")");
  const TensorEntry& e = it->second;
  GLIDE_CHECK(e.shape == shape, file_, ": tensor '", name, "' has shape ", shape_str(e.shape),
        " but the configuration expects ", shape_str(shape));
  used_.insert(name);

  Tensor out = cpu_tensor(shape, DType::F32, /*cached=*/false);
  const int64_t numel = out.numel();
  if (numel > 0) {
    // Byte span from the first element to the last one reachable through the strides.
    int64_t last = 0;
    for (size_t i = 0; i < shape.size(); ++i) {
      GLIDE_CHECK(e.strides[i] >= 0, file_, ": tensor '", name, "' has a negative stride");
      last += (shape[i] - 1) * e.strides[i];
    }
    const uint64_t esize = dtype_size(e.dtype);
    const uint64_t span = static_cast<uint64_t>(last + 1) * esize;
    GLIDE_CHECK(span <= e.storage_bytes, file_, ": tensor '", name, "' needs ", span, " bytes but its storage holds ",
          e.storage_bytes);
    float* dst = out.f32();
    if (e.dtype == DType::F32 && is_contiguous(shape, e.strides)) {
      read_exact(dst, span, e.offset, name);
    } else {
      std::vector<uint8_t> raw(static_cast<size_t>(span));
      read_exact(raw.data(), span, e.offset, name);
      // Walk the elements in row-major order, converting each to float32.
      const int rank = static_cast<int>(shape.size());
      std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
      int64_t src = 0;
      for (int64_t i = 0; i < numel; ++i) {
        dst[i] = to_float(raw.data() + static_cast<uint64_t>(src) * esize, e.dtype);
        for (int d = rank - 1; d >= 0; --d) {
          src += e.strides[d];
          if (++idx[d] < shape[d]) break;
          src -= e.strides[d] * shape[d];
          idx[d] = 0;
        }
      }
    }
  }
  return backend_.adopt_weight(out);
}

void WeightLoader::check_all_used() const {
  std::string unused;
  int count = 0;
  for (const auto& [name, entry] : entries_) {
    if (used_.count(name)) continue;
    if (count < 5) unused += (count ? ", '" : "'") + name + "'";
    ++count;
  }
  GLIDE_CHECK(count == 0, file_, ": ", count, " tensor(s) are not used by the configured model (", unused,
        count > 5 ? ", …" : "", ") — the configuration does not match the checkpoint");
}

}  // namespace glide
