#include "ops/cuda/cuda_check.h"

#include <stdexcept>

#include "core/error.h"

namespace glide::cuda {
namespace {

// Errors after which the CUDA context is corrupt: every later call fails the same way.
bool is_sticky(cudaError_t err) {
  switch (err) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorAssert:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorECCUncorrectable:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string describe_error(cudaError_t err) {
  const std::string base = str_cat(cudaGetErrorName(err), ": ", cudaGetErrorString(err));
  switch (err) {
    case cudaErrorMemoryAllocation:
      return "CUDA out of memory (" + base + ")";
    case cudaErrorNoDevice:
      return "no CUDA device is present (" + base + ")";
    case cudaErrorInsufficientDriver:
      return str_cat("the NVIDIA driver is too old for this build's CUDA runtime ", CUDART_VERSION / 1000, ".",
                     CUDART_VERSION % 1000 / 10, " — update the driver (", base, ")");
    case cudaErrorStubLibrary:
      return "the NVIDIA driver is not installed (only its stub library was found) (" + base + ")";
    case cudaErrorNoKernelImageForDevice:
      return "this GPU's architecture is not in the CUDA build — rebuild with GLIDE_CUDA_ARCH set to its compute "
             "capability, e.g. GLIDE_CUDA_ARCH=80 npm run build:cuda (" + base + ")";
    default:
      if (is_sticky(err)) return base + " — the GPU context is unusable now; restart the process to use CUDA again";
      return base;
  }
}

void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  // Clear a non-sticky error so the next call does not report it again.
  if (!is_sticky(err)) cudaGetLastError();
  // The build passes absolute paths: keep the part a reader finds in the repository.
  const std::string path = file;
  const size_t at = path.rfind("native/");
  throw std::runtime_error(
      str_cat(describe_error(err), " [", call, " at ", at == std::string::npos ? path : path.substr(at), ":", line, "]"));
}

}  // namespace glide::cuda
