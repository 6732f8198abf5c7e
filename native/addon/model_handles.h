// JS handles of native model objects: type-tagged Napi::External values, so a wrong or foreign object
// is a TypeError instead of undefined behaviour. A handle owns a shared_ptr; dispose drops it, and a
// forward already running keeps its own reference until it finishes.
#pragma once
#include <napi.h>

#include <memory>

#include "models/text_embedding.h"
#include "models/unet.h"

namespace glide::addon {

struct ModelHolder {
  std::shared_ptr<const GlideUNet> model;  // null once disposed
  uint64_t id;                             // identifies the model a TextContext belongs to
};

struct TextHolder {
  std::shared_ptr<const TextEmbedding> text;  // null once disposed
  uint64_t model_id;
};

Napi::Value wrap_model(Napi::Env env, std::shared_ptr<const GlideUNet> model);
/** The holder behind a model handle (TypeError if `v` is not one). */
ModelHolder& model_holder(const Napi::Value& v);
/** The live model behind a handle (Error if disposed). */
std::shared_ptr<const GlideUNet> unwrap_model(const Napi::Value& v);

Napi::Value wrap_text(Napi::Env env, std::shared_ptr<const TextEmbedding> text, uint64_t model_id);
TextHolder& text_holder(const Napi::Value& v);

}  // namespace glide::addon
