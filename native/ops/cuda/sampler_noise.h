// The seeded noise of docs/noise.md on the device: Philox4x32-10 + the fixed float64 Box–Muller transform,
// bit-identical to the CPU generator (native/ops/cpu/sampler_noise.cpp) for every (seed, stream, index).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace glide::cuda {

/** out[j] = normal(seed, stream, first + j), j < count, on `stream` (device memory). */
void philox_normal_fill(uint64_t seed, uint64_t stream_id, uint64_t first, int64_t count, float* out, cudaStream_t stream);

/** The same with seed = key[0] and stream id = key[1] read from device memory when the kernel runs, so a
 *  captured CUDA graph draws a new stream at every replay. */
void philox_normal_fill_indirect(const uint64_t* key, uint64_t first, int64_t count, float* out, cudaStream_t stream);

/** The device code's arithmetic run on the host (the transcription check of test/cuda.test.mjs, which runs
 *  without a GPU): must equal the CPU generator bit for bit. */
void philox_normal_fill_emulated(uint64_t seed, uint64_t stream_id, uint64_t first, int64_t count, float* out);

}  // namespace glide::cuda
