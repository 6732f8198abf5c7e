// Module entry: runs every registration made with GLIDE_EXPORT / GLIDE_REGISTER (see registry.h).
#include <napi.h>

#include "addon/registry.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  for (auto& registrar : glide::addon::registrars()) registrar(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(glide_native, init)
