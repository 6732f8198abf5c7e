// modelForward(model, args): Promise<{shape, data}> — one UNet call; modelForwardTrace(model, args):
// Promise<{[name]: {shape, data}}> — the same call returning every named intermediate (timestep
// embedding, emb, each input/middle/output block, out) for per-block comparisons.
#include <map>

#include "addon/model_args.h"
#include "addon/model_handles.h"
#include "addon/model_worker.h"
#include "addon/registry.h"

namespace glide::addon {
namespace {

struct HostOutput {
  Shape shape;
  std::vector<float> data;
};

// Everything a forward needs, parsed on the JS thread before the worker exists (so a bad argument
// throws without leaking a queued worker).
struct ForwardRequest {
  std::shared_ptr<const GlideUNet> model;
  HostTensor x, low_res, inpaint_image, inpaint_mask;
  std::vector<float> timesteps;
  TokenBatch tokens;
  bool has_tokens = false;
  std::shared_ptr<const TextEmbedding> text;

  ForwardRequest(const Napi::Value& model_handle, const Napi::Value& args) : model(unwrap_model(model_handle)) {
    const Napi::Env env = args.Env();
    if (!args.IsObject()) throw Napi::TypeError::New(env, "forward: arguments must be an object");
    const Napi::Object a = args.As<Napi::Object>();
    x = parse_tensor(a.Get("x"), "x");
    if (!x.defined()) throw Napi::TypeError::New(env, "forward: x is required");
    timesteps = parse_floats(a.Get("timesteps"), "timesteps");
    low_res = parse_tensor(a.Get("lowRes"), "lowRes");
    inpaint_image = parse_tensor(a.Get("inpaintImage"), "inpaintImage");
    inpaint_mask = parse_tensor(a.Get("inpaintMask"), "inpaintMask");
    const Napi::Value text_handle = a.Get("text");
    if (!text_handle.IsUndefined()) {
      TextHolder& holder = text_holder(text_handle);
      if (!holder.text) throw Napi::Error::New(env, "forward: the TextContext has been disposed");
      if (holder.model_id != model_holder(model_handle).id)
        throw Napi::Error::New(env, "forward: the TextContext was prepared by another model");
      text = holder.text;
    } else if (!a.Get("tokens").IsUndefined()) {
      tokens = parse_tokens(a.Get("tokens"));
      has_tokens = true;
    }
  }
};

class ForwardWorker final : public PromiseWorker {
 public:
  ForwardWorker(Napi::Env env, ForwardRequest req, bool trace)
      : PromiseWorker(env, trace ? "forwardTrace" : "forward"), req_(std::move(req)), trace_(trace) {}

 private:
  Tensor upload(const HostTensor& t) {
    return t.defined() ? req_.model->backend().upload(t.data.data(), t.shape) : Tensor();
  }
  static HostOutput download(Backend& be, const Tensor& t) {
    HostOutput out{t.shape(), std::vector<float>(static_cast<size_t>(t.numel()))};
    be.download(t, out.data.data());
    return out;
  }

  void run() override {
    const GlideUNet& model = *req_.model;
    Backend& be = model.backend();
    if (req_.has_tokens)
      req_.text = std::make_shared<TextEmbedding>(model.encode_text(req_.tokens.tokens, req_.tokens.mask, req_.tokens.batch));
    UNetInputs in;
    in.x = upload(req_.x);
    in.timesteps = req_.timesteps;
    in.low_res = upload(req_.low_res);
    in.inpaint_image = upload(req_.inpaint_image);
    in.inpaint_mask = upload(req_.inpaint_mask);
    if (trace_) {
      const TraceFn record = [&](const std::string& name, const Tensor& t) { traced_[name] = download(be, t); };
      model.forward(in, req_.text.get(), &record);
    } else {
      out_ = download(be, model.forward(in, req_.text.get()));
    }
  }

  Napi::Value result(Napi::Env env) override {
    if (!trace_) return tensor_to_js(env, out_.shape, out_.data);
    Napi::Object o = Napi::Object::New(env);
    for (const auto& [name, t] : traced_) o.Set(name, tensor_to_js(env, t.shape, t.data));
    return o;
  }

  ForwardRequest req_;
  bool trace_;
  HostOutput out_;
  std::map<std::string, HostOutput> traced_;
};

Napi::Value model_forward(const Napi::CallbackInfo& info) {
  return (new ForwardWorker(info.Env(), ForwardRequest(info[0], info[1]), false))->start();
}

Napi::Value model_forward_trace(const Napi::CallbackInfo& info) {
  return (new ForwardWorker(info.Env(), ForwardRequest(info[0], info[1]), true))->start();
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("modelForward", glide::addon::model_forward);
GLIDE_EXPORT("modelForwardTrace", glide::addon::model_forward_trace);
