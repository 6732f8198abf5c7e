// N-API glue of the sampler kernels: schedule betas, Philox noise, one diffusion step.
// Arguments are validated here (TypeError for bad arguments), the kernels in ops/cpu run in AsyncWorkers.
#include <napi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "addon/registry.h"
#include "ops/cpu/sampler_noise.h"
#include "ops/cpu/sampler_schedule.h"
#include "ops/cpu/sampler_step.h"

namespace {

using glide::cpu::SamplerKind;
using glide::cpu::StepArgs;

[[noreturn]] void type_error(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

int64_t integer_arg(Napi::Env env, const Napi::Value& v, const char* name, int64_t min) {
  if (!v.IsNumber()) type_error(env, std::string(name) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) || d > 9007199254740991.0)
    type_error(env, std::string(name) + " must be an integer >= " + std::to_string(min) + ", got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

uint64_t uint64_arg(Napi::Env env, const Napi::Value& v, const char* name) {
  if (v.IsBigInt()) {
    bool lossless = false;
    const uint64_t u = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) type_error(env, std::string(name) + " must fit in an unsigned 64-bit integer");
    return u;
  }
  return static_cast<uint64_t>(integer_arg(env, v, name, 0));
}

// A Float32Array argument kept alive while a worker reads it.
struct HeldArray {
  Napi::Reference<Napi::Value> ref;
  const float* data = nullptr;
  size_t length = 0;
};

HeldArray hold_f32(Napi::Env env, const Napi::Value& v, const std::string& name, size_t expected) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    type_error(env, name + " must be a Float32Array");
  auto arr = v.As<Napi::Float32Array>();
  if (arr.ElementLength() != expected)
    type_error(env, name + " has " + std::to_string(arr.ElementLength()) + " elements, expected " + std::to_string(expected));
  HeldArray h;
  h.ref = Napi::Persistent(v);
  h.data = arr.Data();
  h.length = arr.ElementLength();
  return h;
}

Napi::Value squaredcos_betas(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t steps = integer_arg(env, info[0], "diffusion_steps", 1);
  const std::vector<double> betas = glide::cpu::squaredcos_cap_v2_betas(static_cast<int>(steps));
  auto out = Napi::Float64Array::New(env, betas.size());
  std::copy(betas.begin(), betas.end(), out.Data());
  return out;
}

Napi::Value philox4x32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() != 4) type_error(env, "counter must be an array of 4 uint32");
  if (!info[1].IsArray() || info[1].As<Napi::Array>().Length() != 2) type_error(env, "key must be an array of 2 uint32");
  std::array<uint32_t, 4> counter;
  std::array<uint32_t, 2> key;
  auto c = info[0].As<Napi::Array>();
  auto k = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < 4; i++) counter[i] = static_cast<uint32_t>(integer_arg(env, c.Get(i), "counter word", 0));
  for (uint32_t i = 0; i < 2; i++) key[i] = static_cast<uint32_t>(integer_arg(env, k.Get(i), "key word", 0));
  const auto out = glide::cpu::philox4x32_10(counter, key);
  auto result = Napi::Array::New(env, 4);
  for (uint32_t i = 0; i < 4; i++) result.Set(i, Napi::Number::New(env, out[i]));
  return result;
}

class NoiseWorker : public Napi::AsyncWorker {
 public:
  NoiseWorker(Napi::Env env, uint64_t seed, uint64_t stream, uint64_t first, int64_t count)
      : Napi::AsyncWorker(env, "glide.noiseNormal"), deferred_(Napi::Promise::Deferred::New(env)),
        seed_(seed), stream_(stream), first_(first), count_(count) {
    auto out = Napi::Float32Array::New(env, static_cast<size_t>(count));
    out_ = out.Data();
    out_ref_ = Napi::Persistent(out);
  }
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      glide::cpu::philox_normal_fill(seed_, stream_, first_, count_, out_);
    } catch (const std::exception& e) {
      SetError(std::string("noiseNormal: ") + e.what());
    } catch (...) {
      SetError("noiseNormal: unknown native error");
    }
  }
  void OnOK() override { deferred_.Resolve(out_ref_.Value()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  uint64_t seed_, stream_, first_;
  int64_t count_;
  float* out_;
  Napi::Reference<Napi::Float32Array> out_ref_;
};

Napi::Value noise_normal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint64_t seed = uint64_arg(env, info[0], "seed");
  const uint64_t stream = uint64_arg(env, info[1], "stream");
  const uint64_t first = static_cast<uint64_t>(integer_arg(env, info[2], "first", 0));
  const int64_t count = integer_arg(env, info[3], "count", 0);
  auto* worker = new NoiseWorker(env, seed, stream, first, count);
  auto promise = worker->promise();
  worker->Queue();
  return promise;
}

class StepWorker : public Napi::AsyncWorker {
 public:
  StepWorker(Napi::Env env, StepArgs args, std::vector<HeldArray> inputs, size_t n)
      : Napi::AsyncWorker(env, "glide.samplerStep"), deferred_(Napi::Promise::Deferred::New(env)),
        args_(args), inputs_(std::move(inputs)) {
    auto x = Napi::Float32Array::New(env, n);
    auto pred = Napi::Float32Array::New(env, n);
    args_.x_next = x.Data();
    args_.pred_xstart = pred.Data();
    x_ref_ = Napi::Persistent(x);
    pred_ref_ = Napi::Persistent(pred);
  }
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      glide::cpu::sampler_step(args_);
    } catch (const std::exception& e) {
      SetError(std::string("samplerStep: ") + e.what());
    } catch (...) {
      SetError("samplerStep: unknown native error");
    }
  }
  void OnOK() override {
    auto result = Napi::Object::New(Env());
    result.Set("x", x_ref_.Value());
    result.Set("pred", pred_ref_.Value());
    deferred_.Resolve(result);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  StepArgs args_;
  std::vector<HeldArray> inputs_;
  Napi::Reference<Napi::Float32Array> x_ref_, pred_ref_;
};

float coef_arg(Napi::Env env, const Napi::Object& coef, const char* name) {
  const Napi::Value v = coef.Get(name);
  if (!v.IsNumber()) type_error(env, std::string("coef.") + name + " must be a number");
  return static_cast<float>(v.As<Napi::Number>().DoubleValue());  // float64 schedule value -> float32
}

Napi::Value sampler_step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) type_error(env, "samplerStep expects an options object");
  const Napi::Object o = info[0].As<Napi::Object>();
  StepArgs a;
  const std::string kind = o.Get("kind").ToString().Utf8Value();
  if (kind == "ddpm") a.kind = SamplerKind::Ddpm;
  else if (kind == "ddim") a.kind = SamplerKind::Ddim;
  else type_error(env, "kind must be \"ddpm\" or \"ddim\", got \"" + kind + "\"");
  a.rows = integer_arg(env, o.Get("rows"), "rows", 1);
  a.channels = integer_arg(env, o.Get("channels"), "channels", 1);
  a.plane = integer_arg(env, o.Get("plane"), "plane", 1);
  const size_t n = static_cast<size_t>(a.rows * a.channels * a.plane);
  std::vector<HeldArray> held;
  auto input = [&](const char* name, size_t expected) -> const float* {
    const Napi::Value v = o.Get(name);
    if (v.IsUndefined() || v.IsNull()) return nullptr;
    held.push_back(hold_f32(env, v, name, expected));
    return held.back().data;
  };
  a.x = input("x", n);
  a.model_out = input("modelOut", 2 * n);
  if (!a.x || !a.model_out) type_error(env, "samplerStep needs x and modelOut");
  const Napi::Value scale = o.Get("guidanceScale");
  a.guided = !scale.IsUndefined() && !scale.IsNull();
  if (a.guided) {
    if (!scale.IsNumber()) type_error(env, "guidanceScale must be a number");
    if (a.rows % 2 != 0) type_error(env, "guided steps need 2B rows (conditional first), got " + std::to_string(a.rows));
    a.guidance_scale = static_cast<float>(scale.As<Napi::Number>().DoubleValue());
  }
  a.inpaint_image = input("inpaintImage", n);
  a.inpaint_mask = input("inpaintMask", static_cast<size_t>(a.rows * a.plane));
  if ((a.inpaint_image == nullptr) != (a.inpaint_mask == nullptr)) type_error(env, "inpaintImage and inpaintMask go together");
  a.noise = input("noise", n);
  a.grad = input("grad", n);
  a.clip_denoised = o.Get("clipDenoised").ToBoolean().Value();
  const Napi::Value eta = o.Get("eta");
  a.eta = eta.IsNumber() ? static_cast<float>(eta.As<Napi::Number>().DoubleValue()) : 0.0f;
  if (!o.Get("coef").IsObject()) type_error(env, "samplerStep needs coef");
  const Napi::Object coef = o.Get("coef").As<Napi::Object>();
  a.coef.sqrt_recip_alphas_cumprod = coef_arg(env, coef, "sqrtRecipAlphasCumprod");
  a.coef.sqrt_recipm1_alphas_cumprod = coef_arg(env, coef, "sqrtRecipm1AlphasCumprod");
  a.coef.posterior_mean_coef1 = coef_arg(env, coef, "posteriorMeanCoef1");
  a.coef.posterior_mean_coef2 = coef_arg(env, coef, "posteriorMeanCoef2");
  a.coef.min_log = coef_arg(env, coef, "posteriorLogVarianceClipped");
  a.coef.max_log = coef_arg(env, coef, "logBeta");
  a.coef.alphas_cumprod = coef_arg(env, coef, "alphasCumprod");
  a.coef.alphas_cumprod_prev = coef_arg(env, coef, "alphasCumprodPrev");
  a.coef.final_step = coef.Get("finalStep").ToBoolean().Value();
  auto* worker = new StepWorker(env, a, std::move(held), n);
  auto promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace

GLIDE_EXPORT("samplerSquaredcosBetas", squaredcos_betas);
GLIDE_EXPORT("philox4x32", philox4x32);
GLIDE_EXPORT("noiseNormal", noise_normal);
GLIDE_EXPORT("samplerStep", sampler_step);
