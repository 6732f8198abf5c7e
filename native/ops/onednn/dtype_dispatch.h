// Calls a generic lambda with a value of the C++ element type of a float32/bfloat16 tensor.
#pragma once
#include "core/error.h"
#include "core/tensor.h"
#include "ops/onednn/simd.h"

namespace glide::onednn {

template <typename F>
decltype(auto) with_element_type(DType t, F&& f) {
  if (t == DType::F32) return f(float{});
  GLIDE_CHECK(t == DType::BF16, "onednn backend: unsupported dtype ", dtype_name(t));
  return f(simd::bf16{});
}

template <typename T>
T* data_of(const Tensor& t) {
  return static_cast<T*>(t.raw());
}

}  // namespace glide::onednn
