// cudaModelLoad(file, entries, config, {precision, device}): Promise<model handle> — a GLIDE UNet on its own
// CUDA backend (stream, arena), weights read from `file` by offset and uploaded once. The handle is the
// same kind as modelLoad's, so modelForward, modelPrepareText, modelDispose... work unchanged.
#include <optional>

#include "addon/cuda/cuda_args.h"
#include "addon/model_args.h"
#include "addon/model_handles.h"
#include "addon/model_worker.h"
#include "addon/registry.h"

namespace glide::addon {
namespace {

// A model and the backend it runs on: the model goes first (its weights are freed on the backend's device).
struct CudaModel {
  std::unique_ptr<cuda::CudaBackend> backend;
  std::optional<GlideUNet> model;
};

class CudaLoadWorker final : public PromiseWorker {
 public:
  CudaLoadWorker(Napi::Env env, std::string file, std::vector<TensorEntry> entries, GlideConfig config,
                 cuda::Precision precision, int ordinal)
      : PromiseWorker(env, "loadModel (cuda)"),
        file_(std::move(file)),
        entries_(std::move(entries)),
        config_(std::move(config)),
        precision_(precision),
        ordinal_(ordinal) {}

 private:
  void run() override {
    auto owner = std::make_shared<CudaModel>();
    owner->backend = std::make_unique<cuda::CudaBackend>(precision_, ordinal_);
    WeightLoader weights(file_, std::move(entries_), *owner->backend);
    owner->model.emplace(config_, weights, *owner->backend);
    weights.check_all_used();
    owner->backend->synchronize();  // surface upload errors here, not at the first forward
    model_ = std::shared_ptr<const GlideUNet>(owner, &*owner->model);
  }
  Napi::Value result(Napi::Env env) override { return wrap_model(env, std::move(model_)); }

  std::string file_;
  std::vector<TensorEntry> entries_;
  GlideConfig config_;
  cuda::Precision precision_;
  int ordinal_;
  std::shared_ptr<const GlideUNet> model_;
};

Napi::Value cuda_model_load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) cuda_type_error(env, "cudaModelLoad: file must be a string");
  std::string file = info[0].As<Napi::String>().Utf8Value();
  std::vector<TensorEntry> entries = parse_entries(info[1]);
  GlideConfig config = parse_config(info[2]);
  if (!info[3].IsObject()) cuda_type_error(env, "cudaModelLoad: options must be an object");
  const Napi::Object o = info[3].As<Napi::Object>();
  const cuda::Precision precision = precision_arg(o.Get("precision"), "cudaModelLoad");
  const int ordinal = static_cast<int>(int_option(o, "device", 0, 0, "cudaModelLoad"));
  return (new CudaLoadWorker(env, std::move(file), std::move(entries), std::move(config), precision, ordinal))->start();
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("cudaModelLoad", glide::addon::cuda_model_load);
