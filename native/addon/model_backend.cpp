#include "addon/model_backend.h"

#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#ifdef GLIDE_HAVE_ONEDNN
#include "ops/onednn/onednn_backend.h"
#endif

namespace glide::addon {

bool built_with_onednn() {
#ifdef GLIDE_HAVE_ONEDNN
  return true;
#else
  return false;
#endif
}

std::shared_ptr<Backend> make_model_backend(const BackendRequest& request) {
  GLIDE_CHECK(request.precision == "fp32" || request.precision == "bf16", "unknown precision '", request.precision, "'");
  if (request.kernels == "onednn") {
#ifdef GLIDE_HAVE_ONEDNN
    return std::make_shared<onednn::OnednnBackend>(request.precision == "bf16" ? onednn::Precision::BF16
                                                                                 : onednn::Precision::F32);
#else
    fail("this build has no oneDNN backend (install libdnnl-dev and rebuild: npm run build:native)");
#endif
  }
  GLIDE_CHECK(request.kernels == "portable", "unknown kernels '", request.kernels, "'");
  GLIDE_CHECK(request.precision == "fp32", "the portable kernels compute in fp32 only; bf16 needs the oneDNN build");
  // The portable backend is stateless and shared; the model holds a non-owning pointer to it.
  return std::shared_ptr<Backend>(&cpu::cpu_backend(), [](Backend*) {});
}

}  // namespace glide::addon
