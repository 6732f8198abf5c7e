// CUDA error handling: every runtime call is checked, and a failure becomes a C++ exception (and so a JS
// Error) naming the call, the file and the line, with the cases a user can act on spelled out (out of memory,
// no device, driver too old). Native code never aborts the process.
#pragma once
#include <cuda_runtime.h>

#include <string>

namespace glide::cuda {

/** What a user should read for `err` (the runtime's text plus advice where there is some). */
std::string describe_error(cudaError_t err);

/** Throws std::runtime_error (std::bad_alloc is not used: the message carries the sizes) for a failed call. */
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line);

}  // namespace glide::cuda

/** Evaluates a CUDA runtime call and throws on failure. */
#define GLIDE_CUDA_CHECK(call)                                                     \
  do {                                                                             \
    const cudaError_t glide_cuda_err_ = (call);                                    \
    if (glide_cuda_err_ != cudaSuccess)                                            \
      ::glide::cuda::throw_cuda_error(glide_cuda_err_, #call, __FILE__, __LINE__); \
  } while (0)

/** Checks the launch of the kernel just enqueued (bad configuration, missing device code). */
#define GLIDE_CUDA_CHECK_LAUNCH() GLIDE_CUDA_CHECK(cudaGetLastError())
