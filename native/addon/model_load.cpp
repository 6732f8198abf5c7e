// modelLoad(file, entries, config, backend?): Promise<model handle> — builds a GLIDE UNet and reads its
// weights from `file` by offset, off the JS thread. `backend` ({kernels: "onednn" | "portable", precision:
// "fp32" | "bf16"}, default portable fp32) picks the model's backend, which the handle keeps alive.
#include <optional>

#include "addon/model_args.h"
#include "addon/model_backend.h"
#include "addon/model_handles.h"
#include "addon/model_warmup.h"
#include "addon/model_worker.h"
#include "addon/registry.h"

namespace glide::addon {
namespace {

class LoadWorker final : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, std::string file, std::vector<TensorEntry> entries, GlideConfig config,
             BackendRequest backend)
      : PromiseWorker(env, "loadModel"),
        file_(std::move(file)),
        entries_(std::move(entries)),
        config_(std::move(config)),
        backend_(std::move(backend)) {}

 private:
  void run() override {
    // The model and its backend live and die together: the handle's shared_ptr owns both.
    struct Bundle {
      std::shared_ptr<Backend> backend;
      std::optional<GlideUNet> model;  // destroyed before the backend
    };
    auto bundle = std::make_shared<Bundle>();
    bundle->backend = make_model_backend(backend_);
    WeightLoader weights(file_, std::move(entries_), *bundle->backend);
    bundle->model.emplace(config_, weights, *bundle->backend);
    weights.check_all_used();
    if (backend_.kernels == "onednn") warm_up(*bundle->model);
    model_ = std::shared_ptr<const GlideUNet>(bundle, &*bundle->model);
  }
  Napi::Value result(Napi::Env env) override { return wrap_model(env, std::move(model_)); }

  std::string file_;
  std::vector<TensorEntry> entries_;
  GlideConfig config_;
  BackendRequest backend_;
  std::shared_ptr<const GlideUNet> model_;
};

Napi::Value model_load(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "modelLoad: file must be a string");
  std::string file = info[0].As<Napi::String>().Utf8Value();
  std::vector<TensorEntry> entries = parse_entries(info[1]);
  GlideConfig config = parse_config(info[2]);
  BackendRequest backend;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    if (!info[3].IsObject()) throw Napi::TypeError::New(info.Env(), "modelLoad: backend must be {kernels, precision}");
    const Napi::Object o = info[3].As<Napi::Object>();
    if (!o.Get("kernels").IsString() || !o.Get("precision").IsString())
      throw Napi::TypeError::New(info.Env(), "modelLoad: backend.kernels and backend.precision must be strings");
    backend.kernels = o.Get("kernels").As<Napi::String>().Utf8Value();
    backend.precision = o.Get("precision").As<Napi::String>().Utf8Value();
  }
  return (new LoadWorker(info.Env(), std::move(file), std::move(entries), std::move(config), std::move(backend)))
      ->start();
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("modelLoad", glide::addon::model_load);
