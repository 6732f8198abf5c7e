#include "addon/clip_args.h"

#include <cmath>
#include <string>

namespace glide::addon {
namespace {

int64_t get_positive(const Napi::Object& o, const char* key, const char* what) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() < 1 ||
      std::floor(v.As<Napi::Number>().DoubleValue()) != v.As<Napi::Number>().DoubleValue())
    throw Napi::TypeError::New(o.Env(), std::string(what) + "." + key + " must be a positive integer");
  return v.As<Napi::Number>().Int64Value();
}

}  // namespace

ClipImageConfig parse_clip_image_config(const Napi::Value& v) {
  if (!v.IsObject()) throw Napi::TypeError::New(v.Env(), "CLIP image config must be an object");
  const Napi::Object o = v.As<Napi::Object>();
  const char* what = "CLIP image config";
  ClipImageConfig c;
  c.image_size = get_positive(o, "image_size", what);
  c.patch_size = get_positive(o, "patch_size", what);
  c.width = get_positive(o, "width", what);
  c.heads = get_positive(o, "heads", what);
  c.blocks = get_positive(o, "blocks", what);
  c.n_timesteps = get_positive(o, "n_timesteps", what);
  c.n_embd = get_positive(o, "n_embd", what);
  return c;
}

ClipTextConfig parse_clip_text_config(const Napi::Value& v) {
  if (!v.IsObject()) throw Napi::TypeError::New(v.Env(), "CLIP text config must be an object");
  const Napi::Object o = v.As<Napi::Object>();
  const char* what = "CLIP text config";
  ClipTextConfig c;
  c.n_vocab = get_positive(o, "n_vocab", what);
  c.max_text_len = get_positive(o, "max_text_len", what);
  c.width = get_positive(o, "width", what);
  c.heads = get_positive(o, "heads", what);
  c.blocks = get_positive(o, "blocks", what);
  c.n_embd = get_positive(o, "n_embd", what);
  return c;
}

std::vector<int64_t> parse_int_list(const Napi::Value& v, const char* name) {
  std::vector<int64_t> out;
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    const Napi::Int32Array a = v.As<Napi::Int32Array>();
    out.assign(a.Data(), a.Data() + a.ElementLength());
    return out;
  }
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(name) + " must be an array of integers");
  const Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value item = a.Get(i);
    if (!item.IsNumber() || std::floor(item.As<Napi::Number>().DoubleValue()) != item.As<Napi::Number>().DoubleValue())
      throw Napi::TypeError::New(v.Env(), std::string(name) + " must hold integers");
    out.push_back(item.As<Napi::Number>().Int64Value());
  }
  return out;
}

}  // namespace glide::addon
