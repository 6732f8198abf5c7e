// The on-device sampling loop (ops/cuda/device_sampler.h) for src/model/device-sampler.ts:
//   deviceSamplerCreate(model, text | undefined, options): Promise<handle>
//     options: {kind, eta, clipDenoised, batch, rows, imageSize, guidanceScale?, seed?, x: Float32Array,
//               lowRes?: {shape, data}, inpaintImage?: Float32Array, inpaintMask?: Float32Array, graphs?: boolean}
//   deviceSamplerStep(handle, {timestep, coef, stream, noise?, readRows?}): Promise<{x?, pred?, graphNodes}>
//     (x and pred hold the first readRows rows, when asked for)
//   deviceSamplerRead(handle, rows): Promise<Float32Array> — the first rows of x
//   deviceSamplerDispose(handle)
#include <cstring>

#include "addon/cuda/cuda_args.h"
#include "addon/model_args.h"
#include "addon/model_handles.h"
#include "addon/model_worker.h"
#include "addon/registry.h"
#include "ops/cuda/device_sampler.h"

namespace glide::addon {
namespace {

constexpr napi_type_tag kSamplerTag = {0x51a8c3e07b2d4f96ULL, 0x8e17d4a2c6b03f59ULL};

struct SamplerHolder {
  std::shared_ptr<cuda::DeviceSampler> sampler;  // null once disposed
};

SamplerHolder& sampler_holder(const Napi::Value& v) {
  if (!v.IsExternal() || !v.As<Napi::External<SamplerHolder>>().CheckTypeTag(&kSamplerTag))
    throw Napi::TypeError::New(v.Env(), "expected a device sampler handle");
  return *v.As<Napi::External<SamplerHolder>>().Data();
}

std::shared_ptr<cuda::DeviceSampler> live_sampler(const Napi::Value& v) {
  SamplerHolder& h = sampler_holder(v);
  if (!h.sampler) throw Napi::Error::New(v.Env(), "the device sampler has been disposed");
  return h.sampler;
}

std::vector<float> float_array(const Napi::Object& o, const char* key, bool required) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() && !required) return {};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    cuda_type_error(o.Env(), std::string("deviceSampler: ") + key + " must be a Float32Array");
  const auto arr = v.As<Napi::Float32Array>();
  return std::vector<float>(arr.Data(), arr.Data() + arr.ElementLength());
}

Napi::Float32Array to_js(Napi::Env env, const std::vector<float>& data) {
  auto arr = Napi::Float32Array::New(env, data.size());
  std::memcpy(arr.Data(), data.data(), data.size() * sizeof(float));
  return arr;
}

class CreateWorker final : public PromiseWorker {
 public:
  CreateWorker(Napi::Env env, std::shared_ptr<const GlideUNet> model, std::shared_ptr<const TextEmbedding> text,
               cuda::DeviceSamplerOptions options)
      : PromiseWorker(env, "deviceSamplerCreate"), model_(std::move(model)), text_(std::move(text)), options_(std::move(options)) {}

 private:
  void run() override { sampler_ = std::make_shared<cuda::DeviceSampler>(model_, text_, std::move(options_)); }
  Napi::Value result(Napi::Env env) override {
    auto* holder = new SamplerHolder{std::move(sampler_)};
    auto ext = Napi::External<SamplerHolder>::New(env, holder, [](Napi::Env, SamplerHolder* h) { delete h; });
    ext.TypeTag(&kSamplerTag);
    return ext;
  }
  std::shared_ptr<const GlideUNet> model_;
  std::shared_ptr<const TextEmbedding> text_;
  cuda::DeviceSamplerOptions options_;
  std::shared_ptr<cuda::DeviceSampler> sampler_;
};

Napi::Value sampler_create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<const GlideUNet> model = unwrap_model(info[0]);
  std::shared_ptr<const TextEmbedding> text;
  if (!info[1].IsUndefined()) {
    TextHolder& holder = text_holder(info[1]);
    if (!holder.text) throw Napi::Error::New(env, "deviceSamplerCreate: the TextContext has been disposed");
    if (holder.model_id != model_holder(info[0]).id)
      throw Napi::Error::New(env, "deviceSamplerCreate: the TextContext was prepared by another model");
    text = holder.text;
  }
  if (!info[2].IsObject()) cuda_type_error(env, "deviceSamplerCreate: options must be an object");
  const Napi::Object o = info[2].As<Napi::Object>();
  const char* where = "deviceSamplerCreate";
  cuda::DeviceSamplerOptions opt;
  const std::string kind = o.Get("kind").ToString().Utf8Value();
  if (kind != "ddpm" && kind != "ddim") cuda_type_error(env, "deviceSamplerCreate: kind must be \"ddpm\" or \"ddim\"");
  opt.kind = kind == "ddpm" ? cuda::SamplerKind::Ddpm : cuda::SamplerKind::Ddim;
  opt.eta = static_cast<float>(number_option(o, "eta", 0, where));
  opt.clip_denoised = bool_option(o, "clipDenoised", true);
  opt.batch = int_option(o, "batch", 0, 1, where);
  opt.rows = int_option(o, "rows", 0, 1, where);
  opt.image_size = int_option(o, "imageSize", 0, 1, where);
  opt.guided = !o.Get("guidanceScale").IsUndefined();
  opt.guidance_scale = static_cast<float>(number_option(o, "guidanceScale", 0, where));
  opt.seeded = !o.Get("seed").IsUndefined();
  if (opt.seeded) opt.seed = uint64_arg(o.Get("seed"), "deviceSamplerCreate: seed");
  opt.x_init = float_array(o, "x", true);
  const HostTensor low_res = parse_tensor(o.Get("lowRes"), "deviceSamplerCreate: lowRes");
  opt.low_res_shape = low_res.shape;
  opt.low_res = low_res.data;
  opt.inpaint_image = float_array(o, "inpaintImage", false);
  opt.inpaint_mask = float_array(o, "inpaintMask", false);
  opt.use_graphs = bool_option(o, "graphs", true);
  return (new CreateWorker(env, std::move(model), std::move(text), std::move(opt)))->start();
}

class StepWorker final : public PromiseWorker {
 public:
  StepWorker(Napi::Env env, std::shared_ptr<cuda::DeviceSampler> sampler, float timestep, cuda::StepCoefficients coef,
             uint64_t stream_id, std::vector<float> noise, int64_t read_rows)
      : PromiseWorker(env, "deviceSamplerStep"),
        sampler_(std::move(sampler)),
        timestep_(timestep),
        coef_(coef),
        stream_id_(stream_id),
        noise_(std::move(noise)),
        read_rows_(read_rows) {}

 private:
  void run() override {
    sampler_->step(timestep_, coef_, stream_id_, noise_.empty() ? nullptr : noise_.data());
    if (read_rows_ > 0) {
      x_.resize(static_cast<size_t>(read_rows_ * sampler_->per_row()));
      pred_.resize(x_.size());
      sampler_->read(false, read_rows_, x_.data());
      sampler_->read(true, read_rows_, pred_.data());
    }
    nodes_ = sampler_->graph_nodes();
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    if (read_rows_ > 0) {
      o.Set("x", to_js(env, x_));
      o.Set("pred", to_js(env, pred_));
    }
    o.Set("graphNodes", static_cast<double>(nodes_));
    return o;
  }
  std::shared_ptr<cuda::DeviceSampler> sampler_;
  float timestep_;
  cuda::StepCoefficients coef_;
  uint64_t stream_id_;
  std::vector<float> noise_;
  int64_t read_rows_;
  std::vector<float> x_, pred_;
  size_t nodes_ = 0;
};

Napi::Value sampler_step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<cuda::DeviceSampler> sampler = live_sampler(info[0]);
  if (!info[1].IsObject()) cuda_type_error(env, "deviceSamplerStep: arguments must be an object");
  const Napi::Object o = info[1].As<Napi::Object>();
  const char* where = "deviceSamplerStep";
  const float timestep = static_cast<float>(number_option(o, "timestep", 0, where));
  if (!o.Get("coef").IsObject()) cuda_type_error(env, "deviceSamplerStep needs coef");
  const Napi::Object c = o.Get("coef").As<Napi::Object>();
  const auto coef = [&](const char* key) { return static_cast<float>(number_option(c, key, 0, "deviceSamplerStep coef")); };
  cuda::StepCoefficients k{};
  k.sqrt_recip_alphas_cumprod = coef("sqrtRecipAlphasCumprod");
  k.sqrt_recipm1_alphas_cumprod = coef("sqrtRecipm1AlphasCumprod");
  k.posterior_mean_coef1 = coef("posteriorMeanCoef1");
  k.posterior_mean_coef2 = coef("posteriorMeanCoef2");
  k.min_log = coef("posteriorLogVarianceClipped");
  k.max_log = coef("logBeta");
  k.alphas_cumprod = coef("alphasCumprod");
  k.alphas_cumprod_prev = coef("alphasCumprodPrev");
  k.final_step = c.Get("finalStep").ToBoolean().Value();
  const uint64_t stream_id = o.Get("stream").IsUndefined() ? 0 : uint64_arg(o.Get("stream"), "deviceSamplerStep: stream");
  std::vector<float> noise = float_array(o, "noise", false);
  const int64_t read_rows = int_option(o, "readRows", 0, 0, where);
  return (new StepWorker(env, std::move(sampler), timestep, k, stream_id, std::move(noise), read_rows))->start();
}

class ReadWorker final : public PromiseWorker {
 public:
  ReadWorker(Napi::Env env, std::shared_ptr<cuda::DeviceSampler> sampler, int64_t rows)
      : PromiseWorker(env, "deviceSamplerRead"), sampler_(std::move(sampler)), rows_(rows) {}

 private:
  void run() override {
    out_.resize(static_cast<size_t>(rows_ * sampler_->per_row()));
    sampler_->read(false, rows_, out_.data());
  }
  Napi::Value result(Napi::Env env) override { return to_js(env, out_); }
  std::shared_ptr<cuda::DeviceSampler> sampler_;
  int64_t rows_;
  std::vector<float> out_;
};

Napi::Value sampler_read(const Napi::CallbackInfo& info) {
  std::shared_ptr<cuda::DeviceSampler> sampler = live_sampler(info[0]);
  if (!info[1].IsNumber()) cuda_type_error(info.Env(), "deviceSamplerRead: rows must be a number");
  const int64_t rows = info[1].As<Napi::Number>().Int64Value();
  return (new ReadWorker(info.Env(), std::move(sampler), rows))->start();
}

// deviceSamplerDispose(handle): frees the run's device buffers and graph (a step in flight finishes first).
Napi::Value sampler_dispose(const Napi::CallbackInfo& info) {
  sampler_holder(info[0]).sampler.reset();
  return info.Env().Undefined();
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("deviceSamplerCreate", glide::addon::sampler_create);
GLIDE_EXPORT("deviceSamplerStep", glide::addon::sampler_step);
GLIDE_EXPORT("deviceSamplerRead", glide::addon::sampler_read);
GLIDE_EXPORT("deviceSamplerDispose", glide::addon::sampler_dispose);
