// Module entry: registers every native function the TypeScript layer (src/native.ts) declares.
#include <napi.h>
#include <omp.h>

namespace {

Napi::Value thread_count(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("threadCount", Napi::Function::New(env, thread_count));
  return exports;
}

}  // namespace

NODE_API_MODULE(glide_native, init)
