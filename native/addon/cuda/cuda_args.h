// Argument helpers of the CUDA addon's entry points (JS values -> plain C++ on the JS thread; malformed
// values throw Napi::TypeError naming the argument).
#pragma once
#include <napi.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "ops/cuda/cuda_backend.h"

namespace glide::addon {

[[noreturn]] inline void cuda_type_error(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

/** o[key] as a number (`fallback` when absent). */
inline double number_option(const Napi::Object& o, const char* key, double fallback, const char* where) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue()))
    cuda_type_error(o.Env(), std::string(where) + ": " + key + " must be a finite number");
  return v.As<Napi::Number>().DoubleValue();
}

/** o[key] as an integer >= min (`fallback` when absent). */
inline int64_t int_option(const Napi::Object& o, const char* key, int64_t fallback, int64_t min, const char* where) {
  const double d = number_option(o, key, static_cast<double>(fallback), where);
  if (d != std::floor(d) || d < static_cast<double>(min) || d > 9007199254740991.0)
    cuda_type_error(o.Env(), std::string(where) + ": " + key + " must be an integer >= " + std::to_string(min));
  return static_cast<int64_t>(d);
}

inline bool bool_option(const Napi::Object& o, const char* key, bool fallback) {
  const Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : v.ToBoolean().Value();
}

/** "fp32" | "bf16" | "fp16" (TypeError otherwise). */
inline cuda::Precision precision_arg(const Napi::Value& v, const char* where) {
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "fp32") return cuda::Precision::F32;
  if (s == "bf16") return cuda::Precision::BF16;
  if (s == "fp16") return cuda::Precision::F16;
  cuda_type_error(v.Env(), std::string(where) + ": precision must be \"fp32\", \"bf16\" or \"fp16\"");
}

/** An unsigned 64-bit integer given as a bigint or a safe-integer number. */
inline uint64_t uint64_arg(const Napi::Value& v, const char* name) {
  if (v.IsBigInt()) {
    bool lossless = false;
    const uint64_t u = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) cuda_type_error(v.Env(), std::string(name) + " must fit in an unsigned 64-bit integer");
    return u;
  }
  if (!v.IsNumber()) cuda_type_error(v.Env(), std::string(name) + " must be a bigint or a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > 9007199254740991.0)
    cuda_type_error(v.Env(), std::string(name) + " must be a non-negative safe integer");
  return static_cast<uint64_t>(d);
}

}  // namespace glide::addon
