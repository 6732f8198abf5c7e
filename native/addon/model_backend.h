// The backend a GLIDE model runs on, chosen per model at load: the oneDNN backend (fp32 or bf16) when
// the addon was built with oneDNN (GLIDE_HAVE_ONEDNN), otherwise the portable CPU backend (fp32 only).
#pragma once
#include <memory>
#include <string>

#include "core/backend.h"

namespace glide::addon {

/** What loadModel asked for: kernels "onednn" | "portable", precision "fp32" | "bf16". */
struct BackendRequest {
  std::string kernels = "portable";
  std::string precision = "fp32";
};

/** A backend for one model (the model keeps it alive); throws naming what this build or CPU lacks. */
std::shared_ptr<Backend> make_model_backend(const BackendRequest& request);

/** Whether this addon was built with the oneDNN backend. */
bool built_with_onednn();

}  // namespace glide::addon
