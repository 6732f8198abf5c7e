#include "addon/clip_handles.h"

#include "addon/registry.h"

namespace glide::addon {
namespace {

// Random 128-bit tags (napi_type_tag) distinguishing our externals from any other.
constexpr napi_type_tag kClipImageTag = {0x51e0c7a94d2b3f86ULL, 0xc4a19e07b25d3e61ULL};
constexpr napi_type_tag kClipTextTag = {0x8d3f62b1e97a0c45ULL, 0x1b7e4c93a06f58d2ULL};

template <typename T>
struct Holder {
  std::shared_ptr<const T> encoder;  // null once disposed
};

template <typename T>
Napi::Value wrap(Napi::Env env, std::shared_ptr<const T> encoder, const napi_type_tag* tag) {
  auto ext = Napi::External<Holder<T>>::New(env, new Holder<T>{std::move(encoder)},
                                            [](Napi::Env, Holder<T>* h) { delete h; });
  ext.TypeTag(tag);
  return ext;
}

template <typename T>
Holder<T>* holder(const Napi::Value& v, const napi_type_tag* tag) {
  if (!v.IsExternal() || !v.As<Napi::External<Holder<T>>>().CheckTypeTag(tag)) return nullptr;
  return v.As<Napi::External<Holder<T>>>().Data();
}

template <typename T>
std::shared_ptr<const T> unwrap(const Napi::Value& v, const napi_type_tag* tag, const char* what) {
  Holder<T>* h = holder<T>(v, tag);
  if (h == nullptr) throw Napi::TypeError::New(v.Env(), std::string("expected a ") + what + " handle");
  if (!h->encoder) throw Napi::Error::New(v.Env(), std::string("the ") + what + " has been disposed");
  return h->encoder;
}

// clipDispose(handle): frees an image or text encoder's weights (a call in flight finishes first).
Napi::Value clip_dispose(const Napi::CallbackInfo& info) {
  if (auto* h = holder<ClipImageEncoder>(info[0], &kClipImageTag)) {
    h->encoder.reset();
  } else if (auto* t = holder<ClipTextEncoder>(info[0], &kClipTextTag)) {
    t->encoder.reset();
  } else {
    throw Napi::TypeError::New(info.Env(), "clipDispose: expected a CLIP encoder handle");
  }
  return info.Env().Undefined();
}

}  // namespace

Napi::Value wrap_clip_image(Napi::Env env, std::shared_ptr<const ClipImageEncoder> encoder) {
  return wrap(env, std::move(encoder), &kClipImageTag);
}
Napi::Value wrap_clip_text(Napi::Env env, std::shared_ptr<const ClipTextEncoder> encoder) {
  return wrap(env, std::move(encoder), &kClipTextTag);
}
std::shared_ptr<const ClipImageEncoder> unwrap_clip_image(const Napi::Value& v) {
  return unwrap<ClipImageEncoder>(v, &kClipImageTag, "CLIP image encoder");
}
std::shared_ptr<const ClipTextEncoder> unwrap_clip_text(const Napi::Value& v) {
  return unwrap<ClipTextEncoder>(v, &kClipTextTag, "CLIP text encoder");
}

}  // namespace glide::addon

GLIDE_EXPORT("clipDispose", glide::addon::clip_dispose);
