#include "addon/model_args.h"

#include <cstring>

namespace glide::addon {
namespace {

[[noreturn]] void type_error(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

int64_t get_int(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) type_error(o.Env(), std::string("config.") + key + " must be a number");
  return v.As<Napi::Number>().Int64Value();
}

bool get_bool(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsBoolean()) type_error(o.Env(), std::string("config.") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::vector<int64_t> get_int_list(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsArray()) type_error(o.Env(), std::string("config.") + key + " must be an array");
  const Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value item = a.Get(i);
    if (!item.IsNumber()) type_error(o.Env(), std::string("config.") + key + " must hold numbers");
    out.push_back(item.As<Napi::Number>().Int64Value());
  }
  return out;
}

Shape parse_shape(const Napi::Value& v, const std::string& what) {
  if (!v.IsArray()) type_error(v.Env(), what + ".shape must be an array");
  const Napi::Array a = v.As<Napi::Array>();
  Shape shape;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value d = a.Get(i);
    if (!d.IsNumber() || d.As<Napi::Number>().Int64Value() < 0) type_error(v.Env(), what + ".shape holds a bad size");
    shape.push_back(d.As<Napi::Number>().Int64Value());
  }
  return shape;
}

DType parse_dtype(const Napi::Value& v, const std::string& what) {
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "float32") return DType::F32;
  if (s == "float16") return DType::F16;
  if (s == "bfloat16") return DType::BF16;
  type_error(v.Env(), what + ": unsupported dtype '" + s + "'");
}

}  // namespace

GlideConfig parse_config(const Napi::Value& v) {
  if (!v.IsObject()) type_error(v.Env(), "config must be an object");
  const Napi::Object o = v.As<Napi::Object>();
  GlideConfig c;
  c.num_channels = get_int(o, "num_channels");
  c.num_res_blocks = get_int(o, "num_res_blocks");
  c.channel_mult = get_int_list(o, "channel_mult");
  c.num_heads = get_int(o, "num_heads");
  c.num_head_channels = get_int(o, "num_head_channels");
  c.num_heads_upsample = get_int(o, "num_heads_upsample");
  c.attention_resolutions = get_int_list(o, "attention_resolutions");
  c.image_size = get_int(o, "image_size");
  c.text_ctx = get_int(o, "text_ctx");
  c.xf_width = get_int(o, "xf_width");
  c.xf_layers = get_int(o, "xf_layers");
  c.xf_heads = get_int(o, "xf_heads");
  c.xf_final_ln = get_bool(o, "xf_final_ln");
  c.xf_padding = get_bool(o, "xf_padding");
  c.use_scale_shift_norm = get_bool(o, "use_scale_shift_norm");
  c.resblock_updown = get_bool(o, "resblock_updown");
  c.inpaint = get_bool(o, "inpaint");
  c.super_res = get_bool(o, "super_res");
  c.n_vocab = get_int(o, "n_vocab");
  c.in_channels = get_int(o, "in_channels");
  c.out_channels = get_int(o, "out_channels");
  return c;
}

std::vector<TensorEntry> parse_entries(const Napi::Value& v) {
  if (!v.IsArray()) type_error(v.Env(), "entries must be an array");
  const Napi::Array a = v.As<Napi::Array>();
  std::vector<TensorEntry> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value item = a.Get(i);
    if (!item.IsObject()) type_error(v.Env(), "entries must hold objects");
    const Napi::Object o = item.As<Napi::Object>();
    TensorEntry e;
    const Napi::Value name = o.Get("name");
    if (!name.IsString()) type_error(v.Env(), "entry.name must be a string");
    e.name = name.As<Napi::String>().Utf8Value();
    e.dtype = parse_dtype(o.Get("dtype"), e.name);
    e.shape = parse_shape(o.Get("shape"), e.name);
    const Shape strides = parse_shape(o.Get("strides"), e.name);
    e.strides.assign(strides.begin(), strides.end());
    const Napi::Value offset = o.Get("offset"), bytes = o.Get("storageBytes");
    if (!offset.IsNumber() || !bytes.IsNumber()) type_error(v.Env(), e.name + ": offset/storageBytes must be numbers");
    e.offset = static_cast<uint64_t>(offset.As<Napi::Number>().Int64Value());
    e.storage_bytes = static_cast<uint64_t>(bytes.As<Napi::Number>().Int64Value());
    out.push_back(std::move(e));
  }
  return out;
}

HostTensor parse_tensor(const Napi::Value& v, const char* name) {
  HostTensor t;
  if (v.IsUndefined() || v.IsNull()) return t;
  if (!v.IsObject()) type_error(v.Env(), std::string(name) + " must be a {shape, data} tensor");
  const Napi::Object o = v.As<Napi::Object>();
  t.shape = parse_shape(o.Get("shape"), name);
  const Napi::Value data = o.Get("data");
  if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    type_error(v.Env(), std::string(name) + ".data must be a Float32Array");
  const Napi::Float32Array arr = data.As<Napi::Float32Array>();
  if (static_cast<int64_t>(arr.ElementLength()) != shape_numel(t.shape) || t.shape.empty())
    type_error(v.Env(), std::string(name) + ".data length does not match its shape");
  t.data.resize(arr.ElementLength());
  std::memcpy(t.data.data(), arr.Data(), arr.ElementLength() * sizeof(float));
  return t;
}

TokenBatch parse_tokens(const Napi::Value& v) {
  if (!v.IsObject()) type_error(v.Env(), "tokens must be {batch, tokens, mask}");
  const Napi::Object o = v.As<Napi::Object>();
  TokenBatch b;
  const Napi::Value batch = o.Get("batch"), tokens = o.Get("tokens"), mask = o.Get("mask");
  if (!batch.IsNumber()) type_error(v.Env(), "tokens.batch must be a number");
  b.batch = batch.As<Napi::Number>().Int64Value();
  if (!tokens.IsTypedArray() || tokens.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    type_error(v.Env(), "tokens.tokens must be an Int32Array");
  if (!mask.IsTypedArray() || mask.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    type_error(v.Env(), "tokens.mask must be a Uint8Array");
  const Napi::Int32Array t = tokens.As<Napi::Int32Array>();
  const Napi::Uint8Array m = mask.As<Napi::Uint8Array>();
  if (t.ElementLength() != m.ElementLength()) type_error(v.Env(), "tokens and mask differ in length");
  b.tokens.assign(t.Data(), t.Data() + t.ElementLength());
  b.mask.assign(m.Data(), m.Data() + m.ElementLength());
  return b;
}

std::vector<float> parse_floats(const Napi::Value& v, const char* name) {
  std::vector<float> out;
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    const Napi::Float32Array a = v.As<Napi::Float32Array>();
    out.assign(a.Data(), a.Data() + a.ElementLength());
    return out;
  }
  if (!v.IsArray()) type_error(v.Env(), std::string(name) + " must be an array of numbers");
  const Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value item = a.Get(i);
    if (!item.IsNumber()) type_error(v.Env(), std::string(name) + " must hold numbers");
    out.push_back(item.As<Napi::Number>().FloatValue());
  }
  return out;
}

Napi::Object tensor_to_js(Napi::Env env, const Shape& shape, const std::vector<float>& data) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array s = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) s.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(shape[i])));
  Napi::Float32Array arr = Napi::Float32Array::New(env, data.size());
  std::memcpy(arr.Data(), data.data(), data.size() * sizeof(float));
  o.Set("shape", s);
  o.Set("data", arr);
  return o;
}

}  // namespace glide::addon
