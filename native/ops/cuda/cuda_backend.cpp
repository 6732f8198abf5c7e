#include "ops/cuda/cuda_backend.h"

#include <cstring>

#include "core/error.h"
#include "ops/cuda/convert.h"
#include "ops/cuda/cuda_check.h"
#include "ops/cuda/cuda_device.h"

namespace glide::cuda {
namespace {

DType dtype_of(Precision p) {
  switch (p) {
    case Precision::F32: return DType::F32;
    case Precision::BF16: return DType::BF16;
    case Precision::F16: return DType::F16;
  }
  return DType::F32;
}

}  // namespace

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::F32;
  if (name == "bf16") return Precision::BF16;
  if (name == "fp16") return Precision::F16;
  fail("unknown CUDA precision '", name, "' (use fp32, bf16 or fp16)");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::F32: return "fp32";
    case Precision::BF16: return "bf16";
    case Precision::F16: return "fp16";
  }
  return "?";
}

CudaBackend::CudaBackend(Precision precision, int ordinal)
    : precision_(precision), compute_dtype_(dtype_of(precision)), ordinal_(ordinal), arena_(ordinal) {
  require_device(ordinal);
  multiprocessors_ = device_info(ordinal).multiprocessors;
  GLIDE_CUDA_CHECK(cudaSetDevice(ordinal));
  GLIDE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

CudaBackend::~CudaBackend() {
  // The arena returns its cache to the driver next: let the stream's work finish first. Errors are
  // ignored here (a destructor must not throw; a sticky error was already reported by the call that met it).
  cudaSetDevice(ordinal_);
  cudaStreamSynchronize(stream_);
  cudaStreamDestroy(stream_);
}

std::string CudaBackend::name() const { return std::string("cuda-") + precision_name(precision_); }

std::unique_lock<std::recursive_mutex> CudaBackend::enter() {
  std::unique_lock<std::recursive_mutex> lock(mutex_);
  GLIDE_CUDA_CHECK(cudaSetDevice(ordinal_));
  return lock;
}

Tensor CudaBackend::empty(Shape shape, DType dtype) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  return Tensor(arena_.allocate(bytes), std::move(shape), dtype);
}

Tensor CudaBackend::cast(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  const auto lock = enter();
  Tensor y = empty(x.shape(), dtype);
  convert_dtype(x.raw(), x.dtype(), y.raw(), dtype, x.numel(), stream_);
  return y;
}

void CudaBackend::copy_to_device(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  if (arena_.capturing()) {
    // A memcpy node reads its host source at every replay: give it a copy that lives with the graph.
    void* staged = arena_.capture_pinned(bytes);
    std::memcpy(staged, src, bytes);
    GLIDE_CUDA_CHECK(cudaMemcpyAsync(dst, staged, bytes, cudaMemcpyHostToDevice, stream_));
    return;
  }
  // From pageable memory the runtime stages the data before returning, so `src` may go right after.
  GLIDE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
}

void CudaBackend::synchronize() {
  GLIDE_CHECK(!arena_.capturing(), "internal error: synchronize() inside a CUDA graph capture");
  GLIDE_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

Tensor CudaBackend::upload(const float* data, const Shape& shape) {
  const auto lock = enter();
  Tensor f = empty(shape, DType::F32);
  copy_to_device(f.raw(), data, f.bytes());
  return cast(f, compute_dtype_);
}

void CudaBackend::download(const Tensor& t, float* out) {
  GLIDE_CHECK(t.defined() && t.device() == Device::Cuda, "download: expected a CUDA tensor");
  const auto lock = enter();
  GLIDE_CHECK(!arena_.capturing(), "download: cannot read a tensor back inside a CUDA graph capture");
  const Tensor f = cast(t, DType::F32);
  GLIDE_CUDA_CHECK(cudaMemcpyAsync(out, f.raw(), f.bytes(), cudaMemcpyDeviceToHost, stream_));
  synchronize();
}

Tensor CudaBackend::adopt_weight(const Tensor& host) {
  GLIDE_CHECK(host.dtype() == DType::F32 && host.device() == Device::Cpu, "cuda backend: weights arrive as float32 on the CPU");
  const auto lock = enter();
  // Matrices and tables in the compute dtype; biases and norm gains stay float32 (see the header).
  const DType dtype = host.rank() >= 2 ? compute_dtype_ : DType::F32;
  Tensor w(arena_.allocate_persistent(static_cast<size_t>(host.numel()) * dtype_size(dtype)), host.shape(), dtype);
  if (dtype == DType::F32) {
    GLIDE_CUDA_CHECK(cudaMemcpyAsync(w.raw(), host.raw(), host.bytes(), cudaMemcpyHostToDevice, stream_));
  } else {
    Tensor f = empty(host.shape(), DType::F32);
    GLIDE_CUDA_CHECK(cudaMemcpyAsync(f.raw(), host.raw(), host.bytes(), cudaMemcpyHostToDevice, stream_));
    convert_dtype(f.raw(), DType::F32, w.raw(), dtype, host.numel(), stream_);
  }
  return w;
}

void CudaBackend::bind_timesteps(const float* device_timesteps, int64_t n) {
  const auto lock = enter();
  bound_timesteps_ = device_timesteps;
  bound_timestep_count_ = device_timesteps ? n : 0;
}

CudaBackend& as_cuda(Backend& be) {
  auto* cuda = dynamic_cast<CudaBackend*>(&be);
  GLIDE_CHECK(cuda != nullptr, "expected a model on a CUDA device, got one on backend '", be.name(), "'");
  return *cuda;
}

}  // namespace glide::cuda
