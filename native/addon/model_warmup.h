// A warm-up forward right after a model loads on the oneDNN backend, so that the one-time work of its
// primitives (JIT kernels, weights re-packed into the layout oneDNN picks at the model's real sizes,
// the activation cache) happens during load rather than in the first sampling step.
#pragma once
#include "models/unet.h"

namespace glide::addon {

/** One forward at the model's own resolution: batch 1, zero image, the empty prompt, timestep 0. */
void warm_up(const GlideUNet& model);

}  // namespace glide::addon
