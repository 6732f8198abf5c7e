// clipImageGradient(image, x, timesteps, text, logitScale, gradScale): Promise<{shape, data}> —
// gradScale · ∂/∂x [logitScale · Σ_n text[n]·ẑ_n(x, t_n)] by the native reverse pass of the image encoder
// (CLIP guidance's cond_fn), off the JS thread.
#include "addon/clip_args.h"
#include "addon/clip_handles.h"
#include "addon/model_args.h"
#include "addon/model_worker.h"
#include "addon/registry.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::addon {
namespace {

class GradientWorker final : public PromiseWorker {
 public:
  GradientWorker(Napi::Env env, std::shared_ptr<const ClipImageEncoder> encoder, HostTensor x,
                 std::vector<int64_t> timesteps, std::vector<float> text, float logit_scale, float grad_scale)
      : PromiseWorker(env, "CLIP gradient"),
        encoder_(std::move(encoder)),
        x_(std::move(x)),
        t_(std::move(timesteps)),
        text_(std::move(text)),
        logit_scale_(logit_scale),
        grad_scale_(grad_scale) {}

 private:
  void run() override {
    grad_ = encoder_->gradient(cpu::cpu_backend(), x_.data, t_, text_, logit_scale_, grad_scale_);
  }
  Napi::Value result(Napi::Env env) override { return tensor_to_js(env, x_.shape, grad_); }

  std::shared_ptr<const ClipImageEncoder> encoder_;
  HostTensor x_;
  std::vector<int64_t> t_;
  std::vector<float> text_;
  float logit_scale_, grad_scale_;
  std::vector<float> grad_;
};

Napi::Value clip_image_gradient(const Napi::CallbackInfo& info) {
  auto encoder = unwrap_clip_image(info[0]);
  HostTensor x = parse_tensor(info[1], "x");
  if (!x.defined()) throw Napi::TypeError::New(info.Env(), "clipImageGradient: x is required");
  std::vector<int64_t> t = parse_int_list(info[2], "timesteps");
  std::vector<float> text = parse_floats(info[3], "text");
  if (!info[4].IsNumber() || !info[5].IsNumber())
    throw Napi::TypeError::New(info.Env(), "clipImageGradient: logitScale and gradScale must be numbers");
  const float logit_scale = info[4].As<Napi::Number>().FloatValue();
  const float grad_scale = info[5].As<Napi::Number>().FloatValue();
  return (new GradientWorker(info.Env(), std::move(encoder), std::move(x), std::move(t), std::move(text), logit_scale,
                             grad_scale))
      ->start();
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("clipImageGradient", glide::addon::clip_image_gradient);
