// Runtime facts the JS side reports (thread count).
#include <napi.h>
#include <omp.h>

#include "addon/registry.h"

namespace {

Napi::Value thread_count(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

}  // namespace

GLIDE_EXPORT("threadCount", thread_count);
