// Conversion of the (already validated) JS arguments of the CLIP entry points into plain C++ data on the
// JS thread. Malformed values throw Napi::TypeError.
#pragma once
#include <napi.h>

#include <vector>

#include "models/clip_config.h"

namespace glide::addon {

/** {image_size, patch_size, width, heads, blocks, n_timesteps, n_embd} */
ClipImageConfig parse_clip_image_config(const Napi::Value& v);
/** {n_vocab, max_text_len, width, heads, blocks, n_embd} */
ClipTextConfig parse_clip_text_config(const Napi::Value& v);
/** number[] or Int32Array of integers. */
std::vector<int64_t> parse_int_list(const Napi::Value& v, const char* name);

}  // namespace glide::addon
