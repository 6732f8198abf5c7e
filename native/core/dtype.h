// Element types and devices a Tensor can carry, with the scalar conversions the weight loader needs.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace glide {

/** Element type of a tensor. The fp32 CPU path computes in F32; F16/BF16 arrive from checkpoints. */
enum class DType : uint8_t { F32, F16, BF16 };

/** Where a tensor's storage lives. Only Cpu exists today; Cuda is reserved for the CUDA backend. */
enum class Device : uint8_t { Cpu, Cuda };

inline size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 2; }

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
  }
  return "?";
}

inline const char* device_name(Device d) { return d == Device::Cpu ? "cpu" : "cuda"; }

/** IEEE half -> float, exact for every value including subnormals, inf and NaN. */
inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise the mantissa into a float exponent.
    exp = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/** bfloat16 -> float (the upper half of a float32). */
inline float bf16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace glide
