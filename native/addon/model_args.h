// Conversion of the (already validated) JS arguments of the model entry points into plain C++ data,
// done on the JS thread before a worker starts. Malformed values throw Napi::TypeError.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "core/tensor.h"
#include "core/weight_loader.h"
#include "models/glide_config.h"

namespace glide::addon {

/** A float32 host tensor copied out of a JS {shape, data: Float32Array}. */
struct HostTensor {
  Shape shape;
  std::vector<float> data;
  bool defined() const { return !shape.empty(); }
};

/** Tokens and mask of a batch, row-major [batch, ctx]. */
struct TokenBatch {
  int64_t batch = 0;
  std::vector<int32_t> tokens;
  std::vector<uint8_t> mask;
};

GlideConfig parse_config(const Napi::Value& v);
std::vector<TensorEntry> parse_entries(const Napi::Value& v);
/** `v` undefined -> an undefined HostTensor. */
HostTensor parse_tensor(const Napi::Value& v, const char* name);
/** {batch, tokens: Int32Array, mask: Uint8Array} */
TokenBatch parse_tokens(const Napi::Value& v);
/** Float32Array or number[] -> floats. */
std::vector<float> parse_floats(const Napi::Value& v, const char* name);

/** {shape, data: Float32Array} of a backend tensor (downloaded). */
Napi::Object tensor_to_js(Napi::Env env, const Shape& shape, const std::vector<float>& data);

}  // namespace glide::addon
