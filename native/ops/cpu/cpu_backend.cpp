#include "ops/cpu/cpu_backend.h"

#include <cstring>

#include "core/error.h"

namespace glide::cpu {

Tensor CpuBackend::upload(const float* data, const Shape& shape) {
  Tensor t = cpu_tensor(shape);
  std::memcpy(t.f32(), data, t.bytes());
  return t;
}

void CpuBackend::download(const Tensor& t, float* out) { std::memcpy(out, t.f32(), t.bytes()); }

Tensor CpuBackend::adopt_weight(const Tensor& host) {
  GLIDE_CHECK(host.dtype() == DType::F32 && host.device() == Device::Cpu, "cpu backend: weights must be float32 on the CPU");
  return host;
}

CpuBackend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

}  // namespace glide::cpu
