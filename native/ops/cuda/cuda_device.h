// What the CUDA runtime can see: whether a usable device exists and, if not, why (no driver, driver too
// old, no GPU), plus the facts kernels are sized by (multiprocessors, shared memory per block).
#pragma once
#include <cstdint>
#include <string>

namespace glide::cuda {

struct DeviceInfo {
  bool available = false;
  std::string reason;        // why not available (empty when available)
  int device_count = 0;
  int ordinal = 0;           // the device described below
  std::string name;          // "NVIDIA H200"
  int major = 0, minor = 0;  // compute capability
  uint64_t total_memory = 0;
  int multiprocessors = 0;
  int max_shared_per_block_optin = 0;  // bytes a kernel may request after cudaFuncSetAttribute
  int driver_version = 0;              // e.g. 13000 for 13.0; 0 when no driver was found
  int runtime_version = 0;
};

/** Probes device `ordinal` once per process (later calls return the cached answer); never throws. */
const DeviceInfo& device_info(int ordinal = 0);

/** Throws std::runtime_error with the reason when device `ordinal` cannot be used. */
void require_device(int ordinal = 0);

}  // namespace glide::cuda
