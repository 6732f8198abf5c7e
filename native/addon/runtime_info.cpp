// runtimeInfo(): what the native runtime can do on this machine — whether the oneDNN backend was built,
// the instruction set oneDNN dispatches to, whether bf16 has native dot products (AMX-BF16 or
// AVX512-BF16), AMX, whether bf16 is the faster precision here, and the thread count. loadModel
// resolves precision "auto" from it.
#include <napi.h>
#include <omp.h>

#include "addon/model_backend.h"
#include "addon/registry.h"
#ifdef GLIDE_HAVE_ONEDNN
#include <dnnl.hpp>

#include "ops/onednn/onednn_backend.h"
#endif

namespace glide::addon {
namespace {

Napi::Value runtime_info(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("onednn", Napi::Boolean::New(env, built_with_onednn()));
  o.Set("threads", Napi::Number::New(env, omp_get_max_threads()));
#ifdef GLIDE_HAVE_ONEDNN
  const dnnl_version_t* v = dnnl_version();
  o.Set("onednnVersion", Napi::String::New(env, std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                                    std::to_string(v->patch)));
  o.Set("isa", Napi::String::New(env, onednn::cpu_isa()));
  o.Set("bf16", Napi::Boolean::New(env, onednn::has_bf16_isa()));
  o.Set("amx", Napi::Boolean::New(env, onednn::has_amx()));
  o.Set("bf16Preferred", Napi::Boolean::New(env, onednn::prefers_bf16()));
#else
  o.Set("onednnVersion", env.Null());
  o.Set("isa", env.Null());
  o.Set("bf16", Napi::Boolean::New(env, false));
  o.Set("amx", Napi::Boolean::New(env, false));
  o.Set("bf16Preferred", Napi::Boolean::New(env, false));
#endif
  return o;
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("runtimeInfo", glide::addon::runtime_info);
