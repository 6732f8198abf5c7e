// Self-registration of native exports: each addon/*.cpp file declares its functions with
// GLIDE_EXPORT(name, fn), so adding a feature never edits a shared list (addon.cpp walks the registry).
#pragma once
#include <napi.h>

#include <functional>
#include <string>
#include <vector>

namespace glide::addon {

using Registrar = std::function<void(Napi::Env, Napi::Object&)>;

inline std::vector<Registrar>& registrars() {
  static std::vector<Registrar> list;  // function-local static: safe across translation units
  return list;
}

struct Registration {
  explicit Registration(Registrar r) { registrars().push_back(std::move(r)); }
};

}  // namespace glide::addon

#define GLIDE_CONCAT_INNER(a, b) a##b
#define GLIDE_CONCAT(a, b) GLIDE_CONCAT_INNER(a, b)

// Exposes `fn` (Napi::Value(const Napi::CallbackInfo&)) to JS as `exports[name]`.
#define GLIDE_EXPORT(name, fn)                                                              \
  static ::glide::addon::Registration GLIDE_CONCAT(glide_registration_, __LINE__)(          \
      [](Napi::Env env, Napi::Object& exports) { exports.Set(name, Napi::Function::New(env, fn, name)); })

// Runs arbitrary setup (e.g. defining a class) at module init.
#define GLIDE_REGISTER(fn) \
  static ::glide::addon::Registration GLIDE_CONCAT(glide_registration_, __LINE__)(fn)
