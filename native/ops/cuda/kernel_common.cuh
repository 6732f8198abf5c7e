// Shared pieces of the CUDA op files: element conversions (every kernel computes in float32 whatever the
// storage dtype), dtype dispatch, launch sizing, warp/block reductions and argument checks.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "ops/cuda/cuda_backend.h"
#include "ops/cuda/cuda_check.h"

namespace glide::cuda {

using bf16 = __nv_bfloat16;
using half = __half;

// --- element conversions ------------------------------------------------------------------------
__device__ __forceinline__ float to_f32(float v) { return v; }
__device__ __forceinline__ float to_f32(bf16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_f32(half v) { return __half2float(v); }

template <typename T>
__device__ __forceinline__ T from_f32(float v);
template <>
__device__ __forceinline__ float from_f32<float>(float v) { return v; }
template <>
__device__ __forceinline__ bf16 from_f32<bf16>(float v) { return __float2bfloat16_rn(v); }
template <>
__device__ __forceinline__ half from_f32<half>(float v) { return __float2half_rn(v); }

/** The C++ type stored for a DType (host side). */
template <DType D>
struct StorageType;
template <>
struct StorageType<DType::F32> { using type = float; };
template <>
struct StorageType<DType::BF16> { using type = bf16; };
template <>
struct StorageType<DType::F16> { using type = half; };

/** Runs `body` with `T` bound to the storage type of `dtype` (a generic lambda taking a T* tag). */
template <typename Body>
void dispatch_dtype(DType dtype, Body&& body) {
  switch (dtype) {
    case DType::F32: body(static_cast<float*>(nullptr)); return;
    case DType::BF16: body(static_cast<bf16*>(nullptr)); return;
    case DType::F16: body(static_cast<half*>(nullptr)); return;
  }
  fail("unsupported dtype");
}

/** The typed device pointer of a CUDA tensor whose dtype is T's. */
template <typename T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.raw());
}

// --- launch sizing -------------------------------------------------------------------------------
constexpr int kBlock = 256;

/** Blocks for a grid-stride loop over `n` items (capped: each thread then handles several). */
inline unsigned grid_for(int64_t n, int threads = kBlock) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(blocks, 65535LL * 8)));
}

#define GLIDE_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// --- reductions ------------------------------------------------------------------------------------
__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/** Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result. */
template <typename V>
__device__ V block_sum(V v) {
  __shared__ V partial[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // `partial` may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  V total = lane < warps ? partial[lane] : V(0);
  return warp_sum(total);
}

// --- argument checks (host) ------------------------------------------------------------------------
/** Throws unless `t` is a defined CUDA tensor (op and argument named in the message). */
inline void check_cuda(const Tensor& t, const char* op, const char* what) {
  GLIDE_CHECK(t.defined() && t.device() == Device::Cuda, op, ": ", what, " must be a CUDA tensor, got ",
              t.defined() ? device_name(t.device()) : "an undefined tensor");
}

/** Throws unless `t` is a float32 CUDA tensor of `numel` elements (biases, norm gains). */
inline void check_f32_vector(const Tensor& t, int64_t numel, const char* op, const char* what) {
  check_cuda(t, op, what);
  GLIDE_CHECK(t.dtype() == DType::F32 && t.numel() == numel, op, ": ", what, " must be float32 with ", numel,
              " elements, got ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
}

}  // namespace glide::cuda
