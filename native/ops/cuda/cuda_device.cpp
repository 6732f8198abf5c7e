#include "ops/cuda/cuda_device.h"

#include <map>
#include <mutex>
#include <stdexcept>

#include "core/error.h"
#include "ops/cuda/cuda_check.h"

namespace glide::cuda {
namespace {

DeviceInfo probe(int ordinal) {
  DeviceInfo info;
  info.ordinal = ordinal;
  cudaRuntimeGetVersion(&info.runtime_version);
  if (cudaDriverGetVersion(&info.driver_version) != cudaSuccess) info.driver_version = 0;
  const cudaError_t count_err = cudaGetDeviceCount(&info.device_count);
  if (count_err != cudaSuccess) {
    cudaGetLastError();
    info.device_count = 0;
    info.reason = info.driver_version == 0
                      ? str_cat("no NVIDIA driver is installed (", cudaGetErrorName(count_err), ")")
                      : describe_error(count_err);
    return info;
  }
  if (info.device_count == 0) {
    info.reason = "no CUDA device is present";
    return info;
  }
  if (ordinal < 0 || ordinal >= info.device_count) {
    info.reason = str_cat("CUDA device ", ordinal, " does not exist (", info.device_count, " present)");
    return info;
  }
  cudaDeviceProp prop{};
  const cudaError_t prop_err = cudaGetDeviceProperties(&prop, ordinal);
  if (prop_err != cudaSuccess) {
    cudaGetLastError();
    info.reason = describe_error(prop_err);
    return info;
  }
  info.name = prop.name;
  info.major = prop.major;
  info.minor = prop.minor;
  info.total_memory = prop.totalGlobalMem;
  info.multiprocessors = prop.multiProcessorCount;
  info.max_shared_per_block_optin = static_cast<int>(prop.sharedMemPerBlockOptin);
  // The kernels use bf16 tensor cores (mma.sync on sm_80+); older GPUs are not supported.
  if (prop.major < 8) {
    info.reason = str_cat(info.name, " has compute capability ", prop.major, ".", prop.minor,
                          "; the CUDA backend needs 8.0 or newer");
    return info;
  }
  info.available = true;
  return info;
}

}  // namespace

const DeviceInfo& device_info(int ordinal) {
  static std::mutex mutex;
  static std::map<int, DeviceInfo> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(ordinal);
  if (it == cache.end()) it = cache.emplace(ordinal, probe(ordinal)).first;
  return it->second;
}

void require_device(int ordinal) {
  const DeviceInfo& info = device_info(ordinal);
  if (!info.available) throw std::runtime_error("CUDA is not available: " + info.reason);
}

}  // namespace glide::cuda
