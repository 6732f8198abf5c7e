// The CUDA twins of the sampler kernels, for the parity tests (the device loop is device_sampler.cpp):
//   cudaNoiseNormal(seed, stream, first, count): Promise<Float32Array>  — generated on the GPU
//   cudaNoiseNormalEmulated(...)                 — the same device code's arithmetic run on the host
//   cudaSamplerStep(args): Promise<{x, pred}>    — one step on the GPU (samplerStep's arguments)
//   cudaSamplerStepEmulated(args)                — the step kernel's arithmetic run on the host
// The emulations let a machine without a GPU check that the CUDA code transcribes the CPU reference.
#include <cuda_runtime.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "addon/cuda/cuda_args.h"
#include "addon/model_worker.h"
#include "addon/registry.h"
#include "ops/cuda/cuda_check.h"
#include "ops/cuda/cuda_device.h"
#include "ops/cuda/sampler_noise.h"
#include "ops/cuda/sampler_step.h"

namespace glide::addon {
namespace {

// The stream of these test entry points (process-wide, never destroyed: see op_run.cpp).
cudaStream_t test_stream() {
  static std::once_flag once;
  static cudaStream_t stream = nullptr;
  std::call_once(once, [] {
    cuda::require_device(0);
    GLIDE_CUDA_CHECK(cudaSetDevice(0));
    GLIDE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  });
  GLIDE_CHECK(stream != nullptr, "CUDA is not available: ", cuda::device_info(0).reason);
  GLIDE_CUDA_CHECK(cudaSetDevice(0));
  return stream;
}

// A device buffer freed with its owner.
struct DeviceBuffer {
  explicit DeviceBuffer(size_t bytes) { GLIDE_CUDA_CHECK(cudaMalloc(&ptr, bytes == 0 ? 1 : bytes)); }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* ptr = nullptr;
};

struct NoiseRequest {
  uint64_t seed, stream_id, first;
  int64_t count;
};

NoiseRequest parse_noise(const Napi::CallbackInfo& info) {
  NoiseRequest r;
  r.seed = uint64_arg(info[0], "seed");
  r.stream_id = uint64_arg(info[1], "stream");
  r.first = uint64_arg(info[2], "first");
  r.count = static_cast<int64_t>(uint64_arg(info[3], "count"));
  return r;
}

class NoiseWorker final : public PromiseWorker {
 public:
  NoiseWorker(Napi::Env env, NoiseRequest r, bool emulated)
      : PromiseWorker(env, emulated ? "cudaNoiseNormalEmulated" : "cudaNoiseNormal"), r_(r), emulated_(emulated) {}

 private:
  void run() override {
    out_.resize(static_cast<size_t>(r_.count));
    if (emulated_) {
      cuda::philox_normal_fill_emulated(r_.seed, r_.stream_id, r_.first, r_.count, out_.data());
      return;
    }
    cudaStream_t stream = test_stream();
    DeviceBuffer buf(out_.size() * sizeof(float));
    cuda::philox_normal_fill(r_.seed, r_.stream_id, r_.first, r_.count, static_cast<float*>(buf.ptr), stream);
    GLIDE_CUDA_CHECK(cudaMemcpyAsync(out_.data(), buf.ptr, out_.size() * sizeof(float), cudaMemcpyDeviceToHost, stream));
    GLIDE_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  Napi::Value result(Napi::Env env) override {
    auto arr = Napi::Float32Array::New(env, out_.size());
    std::memcpy(arr.Data(), out_.data(), out_.size() * sizeof(float));
    return arr;
  }
  NoiseRequest r_;
  bool emulated_;
  std::vector<float> out_;
};

// samplerStep's arguments, copied (see src/native.ts NativeStepArgs).
struct StepRequest {
  cuda::DeviceStepArgs a;  // pointers filled when the buffers exist
  cuda::StepCoefficients coef{};
  std::vector<float> x, model_out, inpaint_image, inpaint_mask, noise, grad;
};

std::vector<float> floats(const Napi::Object& o, const char* key, size_t expected, bool required) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() && !required) return {};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    cuda_type_error(o.Env(), std::string("cudaSamplerStep: ") + key + " must be a Float32Array");
  const auto arr = v.As<Napi::Float32Array>();
  if (arr.ElementLength() != expected)
    cuda_type_error(o.Env(), std::string("cudaSamplerStep: ") + key + " has " + std::to_string(arr.ElementLength()) +
                                 " elements, expected " + std::to_string(expected));
  return std::vector<float>(arr.Data(), arr.Data() + arr.ElementLength());
}

StepRequest parse_step(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) cuda_type_error(env, "cudaSamplerStep expects an options object");
  const Napi::Object o = v.As<Napi::Object>();
  StepRequest r;
  const std::string kind = o.Get("kind").ToString().Utf8Value();
  if (kind == "ddpm") r.a.kind = cuda::SamplerKind::Ddpm;
  else if (kind == "ddim") r.a.kind = cuda::SamplerKind::Ddim;
  else cuda_type_error(env, "cudaSamplerStep: kind must be \"ddpm\" or \"ddim\"");
  r.a.eta = static_cast<float>(number_option(o, "eta", 0, "cudaSamplerStep"));
  r.a.rows = int_option(o, "rows", 0, 1, "cudaSamplerStep");
  r.a.channels = int_option(o, "channels", 3, 1, "cudaSamplerStep");
  r.a.plane = int_option(o, "plane", 0, 1, "cudaSamplerStep");
  const size_t n = static_cast<size_t>(r.a.rows * r.a.channels * r.a.plane);
  r.x = floats(o, "x", n, true);
  r.model_out = floats(o, "modelOut", 2 * n, true);
  const Napi::Value scale = o.Get("guidanceScale");
  r.a.guided = !scale.IsUndefined();
  if (r.a.guided) {
    if (r.a.rows % 2 != 0) cuda_type_error(env, "cudaSamplerStep: guided steps need 2B rows");
    r.a.guidance_scale = static_cast<float>(number_option(o, "guidanceScale", 0, "cudaSamplerStep"));
  }
  r.inpaint_image = floats(o, "inpaintImage", n, false);
  r.inpaint_mask = floats(o, "inpaintMask", static_cast<size_t>(r.a.rows * r.a.plane), false);
  if (r.inpaint_image.empty() != r.inpaint_mask.empty())
    cuda_type_error(env, "cudaSamplerStep: inpaintImage and inpaintMask go together");
  r.noise = floats(o, "noise", n, false);
  r.grad = floats(o, "grad", n, false);
  r.a.clip_denoised = o.Get("clipDenoised").ToBoolean().Value();
  if (!o.Get("coef").IsObject()) cuda_type_error(env, "cudaSamplerStep needs coef");
  const Napi::Object c = o.Get("coef").As<Napi::Object>();
  const auto coef = [&](const char* key) { return static_cast<float>(number_option(c, key, 0, "cudaSamplerStep coef")); };
  r.coef.sqrt_recip_alphas_cumprod = coef("sqrtRecipAlphasCumprod");
  r.coef.sqrt_recipm1_alphas_cumprod = coef("sqrtRecipm1AlphasCumprod");
  r.coef.posterior_mean_coef1 = coef("posteriorMeanCoef1");
  r.coef.posterior_mean_coef2 = coef("posteriorMeanCoef2");
  r.coef.min_log = coef("posteriorLogVarianceClipped");
  r.coef.max_log = coef("logBeta");
  r.coef.alphas_cumprod = coef("alphasCumprod");
  r.coef.alphas_cumprod_prev = coef("alphasCumprodPrev");
  r.coef.final_step = c.Get("finalStep").ToBoolean().Value();
  return r;
}

class StepWorker final : public PromiseWorker {
 public:
  StepWorker(Napi::Env env, StepRequest r, bool emulated)
      : PromiseWorker(env, emulated ? "cudaSamplerStepEmulated" : "cudaSamplerStep"), r_(std::move(r)), emulated_(emulated) {}

 private:
  void run() override {
    const size_t n = r_.x.size();
    x_next_.resize(n);
    pred_.resize(n);
    if (emulated_) {
      cuda::DeviceStepArgs a = r_.a;
      a.x = r_.x.data();
      a.model_out = r_.model_out.data();
      a.inpaint_image = r_.inpaint_image.empty() ? nullptr : r_.inpaint_image.data();
      a.inpaint_mask = r_.inpaint_mask.empty() ? nullptr : r_.inpaint_mask.data();
      a.noise = r_.noise.empty() ? nullptr : r_.noise.data();
      a.grad = r_.grad.empty() ? nullptr : r_.grad.data();
      a.x_next = x_next_.data();
      a.pred_xstart = pred_.data();
      cuda::sampler_step_emulated(a, r_.coef);
      return;
    }
    cudaStream_t stream = test_stream();
    const auto upload = [&](const std::vector<float>& host) -> std::unique_ptr<DeviceBuffer> {
      if (host.empty()) return nullptr;
      auto buf = std::make_unique<DeviceBuffer>(host.size() * sizeof(float));
      GLIDE_CUDA_CHECK(cudaMemcpyAsync(buf->ptr, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice, stream));
      return buf;
    };
    const auto device = [](const std::unique_ptr<DeviceBuffer>& b) { return b ? static_cast<float*>(b->ptr) : nullptr; };
    auto x = upload(r_.x), out = upload(r_.model_out), image = upload(r_.inpaint_image), mask = upload(r_.inpaint_mask),
         noise = upload(r_.noise), grad = upload(r_.grad);
    DeviceBuffer next(n * sizeof(float)), pred(n * sizeof(float)), coef(sizeof(cuda::StepCoefficients));
    GLIDE_CUDA_CHECK(cudaMemcpyAsync(coef.ptr, &r_.coef, sizeof(r_.coef), cudaMemcpyHostToDevice, stream));
    cuda::DeviceStepArgs a = r_.a;
    a.x = device(x);
    a.model_out = device(out);
    a.inpaint_image = device(image);
    a.inpaint_mask = device(mask);
    a.noise = device(noise);
    a.grad = device(grad);
    a.x_next = static_cast<float*>(next.ptr);
    a.pred_xstart = static_cast<float*>(pred.ptr);
    cuda::sampler_step(a, static_cast<const cuda::StepCoefficients*>(coef.ptr), &r_.coef, stream);
    GLIDE_CUDA_CHECK(cudaMemcpyAsync(x_next_.data(), next.ptr, n * sizeof(float), cudaMemcpyDeviceToHost, stream));
    GLIDE_CUDA_CHECK(cudaMemcpyAsync(pred_.data(), pred.ptr, n * sizeof(float), cudaMemcpyDeviceToHost, stream));
    GLIDE_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    auto x = Napi::Float32Array::New(env, x_next_.size());
    auto pred = Napi::Float32Array::New(env, pred_.size());
    std::memcpy(x.Data(), x_next_.data(), x_next_.size() * sizeof(float));
    std::memcpy(pred.Data(), pred_.data(), pred_.size() * sizeof(float));
    o.Set("x", x);
    o.Set("pred", pred);
    return o;
  }
  StepRequest r_;
  bool emulated_;
  std::vector<float> x_next_, pred_;
};

Napi::Value noise_normal(const Napi::CallbackInfo& info) {
  return (new NoiseWorker(info.Env(), parse_noise(info), false))->start();
}
Napi::Value noise_normal_emulated(const Napi::CallbackInfo& info) {
  return (new NoiseWorker(info.Env(), parse_noise(info), true))->start();
}
Napi::Value sampler_step(const Napi::CallbackInfo& info) {
  return (new StepWorker(info.Env(), parse_step(info[0]), false))->start();
}
Napi::Value sampler_step_emulated(const Napi::CallbackInfo& info) {
  return (new StepWorker(info.Env(), parse_step(info[0]), true))->start();
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("cudaNoiseNormal", glide::addon::noise_normal);
GLIDE_EXPORT("cudaNoiseNormalEmulated", glide::addon::noise_normal_emulated);
GLIDE_EXPORT("cudaSamplerStep", glide::addon::sampler_step);
GLIDE_EXPORT("cudaSamplerStepEmulated", glide::addon::sampler_step_emulated);
