// clipImageEncode(image, x, timesteps) / clipTextEncode(text, tokens, lens):
//   Promise<{raw: {shape, data}, normalized: {shape, data}}> — the encoder output z [N, n_embd] and
//   z / (‖z‖ + 1e-12), computed off the JS thread.
#include "addon/clip_args.h"
#include "addon/clip_handles.h"
#include "addon/model_args.h"
#include "addon/model_worker.h"
#include "addon/registry.h"
#include "models/clip_normalize.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::addon {
namespace {

/** Shared result handling: the raw rows and their normalised copy. */
class EmbedWorker : public PromiseWorker {
 public:
  using PromiseWorker::PromiseWorker;

 protected:
  void finish(Backend& be, const Tensor& z) {
    shape_ = z.shape();
    raw_.resize(static_cast<size_t>(z.numel()));
    be.download(z, raw_.data());
    normalized_ = clip_normalize(raw_, shape_[0], shape_[1]);
  }

 private:
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("raw", tensor_to_js(env, shape_, raw_));
    o.Set("normalized", tensor_to_js(env, shape_, normalized_));
    return o;
  }

  Shape shape_;
  std::vector<float> raw_, normalized_;
};

class ImageEmbedWorker final : public EmbedWorker {
 public:
  ImageEmbedWorker(Napi::Env env, std::shared_ptr<const ClipImageEncoder> encoder, HostTensor x,
                   std::vector<int64_t> timesteps)
      : EmbedWorker(env, "CLIP image encoder"), encoder_(std::move(encoder)), x_(std::move(x)), t_(std::move(timesteps)) {}

 private:
  void run() override {
    Backend& be = cpu::cpu_backend();
    finish(be, encoder_->forward(be, x_.data, t_));
  }
  std::shared_ptr<const ClipImageEncoder> encoder_;
  HostTensor x_;
  std::vector<int64_t> t_;
};

class TextEmbedWorker final : public EmbedWorker {
 public:
  TextEmbedWorker(Napi::Env env, std::shared_ptr<const ClipTextEncoder> encoder, std::vector<int32_t> tokens,
                  std::vector<int64_t> lens)
      : EmbedWorker(env, "CLIP text encoder"), encoder_(std::move(encoder)), tokens_(std::move(tokens)), lens_(std::move(lens)) {}

 private:
  void run() override {
    Backend& be = cpu::cpu_backend();
    finish(be, encoder_->forward(be, tokens_, lens_));
  }
  std::shared_ptr<const ClipTextEncoder> encoder_;
  std::vector<int32_t> tokens_;
  std::vector<int64_t> lens_;
};

Napi::Value clip_image_encode(const Napi::CallbackInfo& info) {
  auto encoder = unwrap_clip_image(info[0]);
  HostTensor x = parse_tensor(info[1], "x");
  if (!x.defined()) throw Napi::TypeError::New(info.Env(), "clipImageEncode: x is required");
  std::vector<int64_t> t = parse_int_list(info[2], "timesteps");
  return (new ImageEmbedWorker(info.Env(), std::move(encoder), std::move(x), std::move(t)))->start();
}

Napi::Value clip_text_encode(const Napi::CallbackInfo& info) {
  auto encoder = unwrap_clip_text(info[0]);
  const std::vector<int64_t> ids = parse_int_list(info[1], "tokens");
  std::vector<int32_t> tokens(ids.begin(), ids.end());
  std::vector<int64_t> lens = parse_int_list(info[2], "lens");
  return (new TextEmbedWorker(info.Env(), std::move(encoder), std::move(tokens), std::move(lens)))->start();
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("clipImageEncode", glide::addon::clip_image_encode);
GLIDE_EXPORT("clipTextEncode", glide::addon::clip_text_encode);
