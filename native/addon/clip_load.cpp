// clipImageLoad(file, entries, config) / clipTextLoad(file, entries, config): Promise<handle> — build a
// noised CLIP encoder and read its weights from `file` by offset, off the JS thread.
#include "addon/clip_args.h"
#include "addon/clip_handles.h"
#include "addon/model_args.h"
#include "addon/model_worker.h"
#include "addon/registry.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::addon {
namespace {

template <typename Encoder, typename Config>
class ClipLoadWorker final : public PromiseWorker {
 public:
  using Wrap = Napi::Value (*)(Napi::Env, std::shared_ptr<const Encoder>);
  ClipLoadWorker(Napi::Env env, std::string file, std::vector<TensorEntry> entries, Config config, Wrap wrap)
      : PromiseWorker(env, "loading " + file),
        file_(std::move(file)),
        entries_(std::move(entries)),
        config_(config),
        wrap_(wrap) {}

 private:
  void run() override {
    WeightLoader weights(file_, std::move(entries_), cpu::cpu_backend());
    encoder_ = std::make_shared<const Encoder>(config_, weights);
    weights.check_all_used();
  }
  Napi::Value result(Napi::Env env) override { return wrap_(env, std::move(encoder_)); }

  std::string file_;
  std::vector<TensorEntry> entries_;
  Config config_;
  Wrap wrap_;
  std::shared_ptr<const Encoder> encoder_;
};

std::string file_arg(const Napi::CallbackInfo& info, const char* fn) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": file must be a string");
  return info[0].As<Napi::String>().Utf8Value();
}

Napi::Value clip_image_load(const Napi::CallbackInfo& info) {
  std::string file = file_arg(info, "clipImageLoad");
  std::vector<TensorEntry> entries = parse_entries(info[1]);
  const ClipImageConfig config = parse_clip_image_config(info[2]);
  return (new ClipLoadWorker<ClipImageEncoder, ClipImageConfig>(info.Env(), std::move(file), std::move(entries), config,
                                                                wrap_clip_image))
      ->start();
}

Napi::Value clip_text_load(const Napi::CallbackInfo& info) {
  std::string file = file_arg(info, "clipTextLoad");
  std::vector<TensorEntry> entries = parse_entries(info[1]);
  const ClipTextConfig config = parse_clip_text_config(info[2]);
  return (new ClipLoadWorker<ClipTextEncoder, ClipTextConfig>(info.Env(), std::move(file), std::move(entries), config,
                                                              wrap_clip_text))
      ->start();
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("clipImageLoad", glide::addon::clip_image_load);
GLIDE_EXPORT("clipTextLoad", glide::addon::clip_text_load);
