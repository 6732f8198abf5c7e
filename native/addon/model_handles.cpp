#include "addon/model_handles.h"

#include <atomic>

#include "addon/registry.h"
#include "core/cpu_allocator.h"

namespace glide::addon {
namespace {

// Random 128-bit tags (napi_type_tag) distinguishing our externals from any other.
constexpr napi_type_tag kModelTag = {0x6c1de0a3f2b94e57ULL, 0x9a43c2b1d87e0f16ULL};
constexpr napi_type_tag kTextTag = {0x2f8b7d61c04a9e35ULL, 0xb3e5a0c4917d26f8ULL};

std::atomic<uint64_t> next_model_id{1};

template <typename T>
T& unwrap_tagged(const Napi::Value& v, const napi_type_tag* tag, const char* what) {
  if (!v.IsExternal() || !v.As<Napi::External<T>>().CheckTypeTag(tag))
    throw Napi::TypeError::New(v.Env(), std::string("expected a ") + what + " handle");
  return *v.As<Napi::External<T>>().Data();
}

// modelDispose(model): frees the weights (a forward in flight finishes first) and the cached
// activation memory.
Napi::Value model_dispose(const Napi::CallbackInfo& info) {
  model_holder(info[0]).model.reset();
  cpu_release_cached();
  return info.Env().Undefined();
}

// textDispose(text): frees a TextContext's tensors.
Napi::Value text_dispose(const Napi::CallbackInfo& info) {
  text_holder(info[0]).text.reset();
  return info.Env().Undefined();
}

}  // namespace

Napi::Value wrap_model(Napi::Env env, std::shared_ptr<const GlideUNet> model) {
  auto* holder = new ModelHolder{std::move(model), next_model_id++};
  auto ext = Napi::External<ModelHolder>::New(env, holder, [](Napi::Env, ModelHolder* h) { delete h; });
  ext.TypeTag(&kModelTag);
  return ext;
}

ModelHolder& model_holder(const Napi::Value& v) { return unwrap_tagged<ModelHolder>(v, &kModelTag, "GLIDE model"); }

std::shared_ptr<const GlideUNet> unwrap_model(const Napi::Value& v) {
  ModelHolder& h = model_holder(v);
  if (!h.model) throw Napi::Error::New(v.Env(), "the model has been disposed");
  return h.model;
}

Napi::Value wrap_text(Napi::Env env, std::shared_ptr<const TextEmbedding> text, uint64_t model_id) {
  auto* holder = new TextHolder{std::move(text), model_id};
  auto ext = Napi::External<TextHolder>::New(env, holder, [](Napi::Env, TextHolder* h) { delete h; });
  ext.TypeTag(&kTextTag);
  return ext;
}

TextHolder& text_holder(const Napi::Value& v) { return unwrap_tagged<TextHolder>(v, &kTextTag, "TextContext"); }

}  // namespace glide::addon

GLIDE_EXPORT("modelDispose", glide::addon::model_dispose);
GLIDE_EXPORT("textDispose", glide::addon::text_dispose);
