// add: a + b (b broadcast to a)
#include "ops/cpu/broadcast.h"

namespace glide::cpu {

Tensor CpuBackend::add(const Tensor& a, const Tensor& b) {
  return broadcast_binary("add", a, b, [](float x, float y) { return x + y; });
}

}  // namespace glide::cpu
