// Element type conversion on the device (uploads, downloads, weight adoption, mixed-dtype operands).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "core/dtype.h"

namespace glide::cuda {

/** dst[i] = src[i] for i < n, converting src_dtype to dst_dtype (round to nearest even), on `stream`. */
void convert_dtype(const void* src, DType src_dtype, void* dst, DType dst_dtype, int64_t n, cudaStream_t stream);

}  // namespace glide::cuda
