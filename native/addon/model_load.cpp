// modelLoad(file, entries, config): Promise<model handle> — builds a GLIDE UNet and reads its weights
// from `file` by offset, off the JS thread.
#include "addon/model_args.h"
#include "addon/model_handles.h"
#include "addon/model_worker.h"
#include "addon/registry.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::addon {
namespace {

class LoadWorker final : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, std::string file, std::vector<TensorEntry> entries, GlideConfig config)
      : PromiseWorker(env, "loadModel"),
        file_(std::move(file)),
        entries_(std::move(entries)),
        config_(std::move(config)) {}

 private:
  void run() override {
    Backend& backend = cpu::cpu_backend();
    WeightLoader weights(file_, std::move(entries_), backend);
    model_ = std::make_shared<const GlideUNet>(config_, weights, backend);
    weights.check_all_used();
  }
  Napi::Value result(Napi::Env env) override { return wrap_model(env, std::move(model_)); }

  std::string file_;
  std::vector<TensorEntry> entries_;
  GlideConfig config_;
  std::shared_ptr<const GlideUNet> model_;
};

Napi::Value model_load(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "modelLoad: file must be a string");
  std::string file = info[0].As<Napi::String>().Utf8Value();
  std::vector<TensorEntry> entries = parse_entries(info[1]);
  GlideConfig config = parse_config(info[2]);
  return (new LoadWorker(info.Env(), std::move(file), std::move(entries), std::move(config)))->start();
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("modelLoad", glide::addon::model_load);
