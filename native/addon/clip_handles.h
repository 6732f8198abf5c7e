// JS handles of the noised CLIP encoders: type-tagged Napi::External values (a wrong object is a
// TypeError); each owns a shared_ptr that clipDispose drops while a running call keeps its own reference.
#pragma once
#include <napi.h>

#include <memory>

#include "models/clip_image_encoder.h"
#include "models/clip_text_encoder.h"

namespace glide::addon {

Napi::Value wrap_clip_image(Napi::Env env, std::shared_ptr<const ClipImageEncoder> encoder);
Napi::Value wrap_clip_text(Napi::Env env, std::shared_ptr<const ClipTextEncoder> encoder);
/** The live encoder behind a handle (TypeError for another object, Error once disposed). */
std::shared_ptr<const ClipImageEncoder> unwrap_clip_image(const Napi::Value& v);
std::shared_ptr<const ClipTextEncoder> unwrap_clip_text(const Napi::Value& v);

}  // namespace glide::addon
