// cudaDeviceInfo(ordinal = 0): what the CUDA runtime sees — {available, reason, deviceCount, name,
// computeCapability, totalMemory, multiprocessors, driverVersion, runtimeVersion}. Never throws for a
// missing driver or GPU: `available` is false and `reason` says why.
#include <napi.h>

#include "addon/cuda/cuda_args.h"
#include "addon/registry.h"
#include "ops/cuda/cuda_device.h"

namespace glide::addon {
namespace {

std::string version_string(int v) { return v == 0 ? "" : std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

Napi::Value cuda_device_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int ordinal = 0;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsNumber()) cuda_type_error(env, "cudaDeviceInfo: ordinal must be a number");
    ordinal = info[0].As<Napi::Number>().Int32Value();
  }
  const cuda::DeviceInfo& d = cuda::device_info(ordinal);
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", d.available);
  o.Set("reason", d.reason);
  o.Set("deviceCount", d.device_count);
  o.Set("ordinal", d.ordinal);
  o.Set("name", d.name);
  o.Set("computeCapability", d.major == 0 ? std::string() : std::to_string(d.major) + "." + std::to_string(d.minor));
  o.Set("totalMemory", static_cast<double>(d.total_memory));
  o.Set("multiprocessors", d.multiprocessors);
  o.Set("driverVersion", version_string(d.driver_version));
  o.Set("runtimeVersion", version_string(d.runtime_version));
  return o;
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("cudaDeviceInfo", glide::addon::cuda_device_info);
