// modelEncodeText(model, tokens): Promise<{xfProj, xfOut}> and modelPrepareText(model, tokens):
// Promise<TextContext handle> — the text encoder (plus, for prepare, every attention block's
// encoder_kv projection, cached for all the forwards of a sample).
#include "addon/model_args.h"
#include "addon/model_handles.h"
#include "addon/model_worker.h"
#include "addon/registry.h"

namespace glide::addon {
namespace {

class TextWorker final : public PromiseWorker {
 public:
  TextWorker(Napi::Env env, std::shared_ptr<const GlideUNet> model, uint64_t model_id, TokenBatch tokens, bool keep)
      : PromiseWorker(env, keep ? "prepareText" : "encodeText"),
        model_(std::move(model)),
        model_id_(model_id),
        tokens_(std::move(tokens)),
        keep_(keep) {}

 private:
  void run() override {
    auto text = std::make_shared<TextEmbedding>(model_->encode_text(tokens_.tokens, tokens_.mask, tokens_.batch));
    if (keep_) {
      text_ = std::move(text);
      return;
    }
    Backend& be = model_->backend();
    proj_shape_ = text->xf_proj.shape();
    out_shape_ = text->xf_out.shape();
    proj_.resize(static_cast<size_t>(text->xf_proj.numel()));
    out_.resize(static_cast<size_t>(text->xf_out.numel()));
    be.download(text->xf_proj, proj_.data());
    be.download(text->xf_out, out_.data());
  }
  Napi::Value result(Napi::Env env) override {
    if (keep_) return wrap_text(env, std::move(text_), model_id_);
    Napi::Object o = Napi::Object::New(env);
    o.Set("xfProj", tensor_to_js(env, proj_shape_, proj_));
    o.Set("xfOut", tensor_to_js(env, out_shape_, out_));
    return o;
  }

  std::shared_ptr<const GlideUNet> model_;
  uint64_t model_id_;
  TokenBatch tokens_;
  bool keep_;
  std::shared_ptr<const TextEmbedding> text_;
  Shape proj_shape_, out_shape_;
  std::vector<float> proj_, out_;
};

Napi::Value start_text(const Napi::CallbackInfo& info, bool keep) {
  std::shared_ptr<const GlideUNet> model = unwrap_model(info[0]);
  const uint64_t id = model_holder(info[0]).id;
  TokenBatch tokens = parse_tokens(info[1]);
  return (new TextWorker(info.Env(), std::move(model), id, std::move(tokens), keep))->start();
}

Napi::Value model_encode_text(const Napi::CallbackInfo& info) { return start_text(info, false); }

Napi::Value model_prepare_text(const Napi::CallbackInfo& info) { return start_text(info, true); }

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("modelEncodeText", glide::addon::model_encode_text);
GLIDE_EXPORT("modelPrepareText", glide::addon::model_prepare_text);
