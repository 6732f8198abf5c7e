// opRun(backend, precision, op, inputs, params): Promise<{shape, data}> — one Backend op on the CPU reference
// backend ("cpu") or a CUDA backend ("cuda", at `precision`), for the op-by-op parity tests of
// test/cuda.test.mjs. Inputs are {shape, data: Float32Array, weight?: boolean}: a weight goes through
// adopt_weight (as the model loader does: matrices in the compute dtype, vectors in float32), anything else
// through upload (an activation). The output is downloaded as float32.
//
// ops and their inputs / params:
//   linear [x, w, b?]; conv2d [x, w, b?] {stride, pad}; group_norm [x, gamma, beta, scaleShift?]
//   {groups, eps, silu}; layer_norm [x, gamma, beta] {eps}; attention [qkv, prefix?] {heads, layout:
//   "channels_first"|"tokens_first"}; self_attention [q, k, v] {heads, causal}; silu, gelu,
//   transpose_last2, upsample_nearest2x, avg_pool2x2 [x]; add, mul [a, b]; concat [parts…] {axis};
//   select [x] {axis, index}; resize_bilinear [x] {h, w}; timestep_embedding [] {timesteps, dim};
//   token_embedding [table, positional, padding?] {tokens, mask, batch}
#include <map>
#include <memory>
#include <mutex>

#include "addon/cuda/cuda_args.h"
#include "addon/model_args.h"
#include "addon/model_worker.h"
#include "addon/registry.h"
#include "ops/cpu/cpu_backend.h"

namespace glide::addon {
namespace {

// One CUDA backend per precision, created on first use and kept for the process (never destroyed: its
// destructor would run after the CUDA runtime's own teardown at exit).
Backend& cuda_backend(cuda::Precision precision) {
  static std::mutex mutex;
  static auto* backends = new std::map<cuda::Precision, std::unique_ptr<cuda::CudaBackend>>();
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = (*backends)[precision];
  if (!slot) slot = std::make_unique<cuda::CudaBackend>(precision);
  return *slot;
}

struct OpInput {
  HostTensor tensor;
  bool weight = false;
};

struct OpRequest {
  bool cuda = false;
  cuda::Precision precision = cuda::Precision::F32;
  std::string op;
  std::vector<OpInput> inputs;
  // params
  int stride = 1, pad = 0, groups = 32, heads = 1, axis = 0;
  float eps = 1e-5f;
  bool silu = false, causal = false, channels_first = true;
  int64_t index = 0, h = 0, w = 0, dim = 0, batch = 0;
  std::vector<float> timesteps;
  std::vector<int32_t> tokens;
  std::vector<uint8_t> mask;
};

std::vector<float> float_list(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  std::vector<float> out;
  if (v.IsUndefined()) return out;
  if (!v.IsArray()) cuda_type_error(o.Env(), std::string("opRun: params.") + key + " must be an array of numbers");
  const Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(static_cast<float>(a.Get(i).ToNumber().DoubleValue()));
  return out;
}

OpRequest parse_request(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  OpRequest r;
  const std::string backend = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (backend != "cpu" && backend != "cuda") cuda_type_error(env, "opRun: backend must be \"cpu\" or \"cuda\"");
  r.cuda = backend == "cuda";
  r.precision = precision_arg(info[1], "opRun");
  if (!info[2].IsString()) cuda_type_error(env, "opRun: op must be a string");
  r.op = info[2].As<Napi::String>().Utf8Value();
  if (!info[3].IsArray()) cuda_type_error(env, "opRun: inputs must be an array");
  const Napi::Array inputs = info[3].As<Napi::Array>();
  for (uint32_t i = 0; i < inputs.Length(); ++i) {
    const Napi::Value v = inputs.Get(i);
    OpInput in;
    in.tensor = parse_tensor(v, "opRun input");
    if (!in.tensor.defined()) cuda_type_error(env, "opRun: input " + std::to_string(i) + " is missing");
    in.weight = bool_option(v.As<Napi::Object>(), "weight", false);
    r.inputs.push_back(std::move(in));
  }
  const Napi::Object p = info[4].IsObject() ? info[4].As<Napi::Object>() : Napi::Object::New(env);
  r.stride = static_cast<int>(int_option(p, "stride", 1, 1, "opRun"));
  r.pad = static_cast<int>(int_option(p, "pad", 0, 0, "opRun"));
  r.groups = static_cast<int>(int_option(p, "groups", 32, 1, "opRun"));
  r.heads = static_cast<int>(int_option(p, "heads", 1, 1, "opRun"));
  r.axis = static_cast<int>(number_option(p, "axis", 0, "opRun"));
  r.eps = static_cast<float>(number_option(p, "eps", 1e-5, "opRun"));
  r.silu = bool_option(p, "silu", false);
  r.causal = bool_option(p, "causal", false);
  const Napi::Value layout = p.Get("layout");
  r.channels_first = !(layout.IsString() && layout.As<Napi::String>().Utf8Value() == "tokens_first");
  r.index = static_cast<int64_t>(number_option(p, "index", 0, "opRun"));
  r.h = int_option(p, "h", 0, 0, "opRun");
  r.w = int_option(p, "w", 0, 0, "opRun");
  r.dim = int_option(p, "dim", 0, 0, "opRun");
  r.batch = int_option(p, "batch", 0, 0, "opRun");
  r.timesteps = float_list(p, "timesteps");
  for (float t : float_list(p, "tokens")) r.tokens.push_back(static_cast<int32_t>(t));
  for (float m : float_list(p, "mask")) r.mask.push_back(m != 0.0f ? 1 : 0);
  return r;
}

class OpWorker final : public PromiseWorker {
 public:
  OpWorker(Napi::Env env, OpRequest req) : PromiseWorker(env, "opRun " + req.op), req_(std::move(req)) {}

 private:
  void run() override {
    Backend& be = req_.cuda ? cuda_backend(req_.precision) : static_cast<Backend&>(cpu::cpu_backend());
    std::vector<Tensor> in;
    for (const OpInput& i : req_.inputs) {
      if (i.weight) {
        Tensor host = cpu_tensor(i.tensor.shape);
        std::copy(i.tensor.data.begin(), i.tensor.data.end(), host.f32());
        in.push_back(be.adopt_weight(host));
      } else {
        in.push_back(be.upload(i.tensor.data.data(), i.tensor.shape));
      }
    }
    const auto arg = [&](size_t k) -> const Tensor& {
      GLIDE_CHECK(k < in.size(), "opRun ", req_.op, ": input ", k, " is missing");
      return in[k];
    };
    const auto opt = [&](size_t k) -> const Tensor* { return k < in.size() ? &in[k] : nullptr; };
    const std::string& op = req_.op;
    Tensor y;
    if (op == "linear") {
      y = be.linear(arg(0), arg(1), opt(2));
    } else if (op == "conv2d") {
      y = be.conv2d(arg(0), arg(1), opt(2), req_.stride, req_.pad);
    } else if (op == "group_norm") {
      GroupNormArgs g;
      g.groups = req_.groups;
      g.eps = req_.eps;
      g.silu = req_.silu;
      g.scale_shift = opt(3);
      y = be.group_norm(arg(0), arg(1), arg(2), g);
    } else if (op == "layer_norm") {
      y = be.layer_norm(arg(0), arg(1), arg(2), req_.eps);
    } else if (op == "attention") {
      y = be.attention(arg(0), opt(1), req_.heads,
                       req_.channels_first ? AttentionLayout::ChannelsFirst : AttentionLayout::TokensFirst);
    } else if (op == "self_attention") {
      y = be.self_attention(arg(0), arg(1), arg(2), req_.heads, req_.causal);
    } else if (op == "silu") {
      y = be.silu(arg(0));
    } else if (op == "gelu") {
      y = be.gelu(arg(0));
    } else if (op == "add") {
      y = be.add(arg(0), arg(1));
    } else if (op == "mul") {
      y = be.mul(arg(0), arg(1));
    } else if (op == "concat") {
      y = be.concat(in, req_.axis);
    } else if (op == "transpose_last2") {
      y = be.transpose_last2(arg(0));
    } else if (op == "select") {
      y = be.select(arg(0), req_.axis, req_.index);
    } else if (op == "upsample_nearest2x") {
      y = be.upsample_nearest2x(arg(0));
    } else if (op == "avg_pool2x2") {
      y = be.avg_pool2x2(arg(0));
    } else if (op == "resize_bilinear") {
      y = be.resize_bilinear(arg(0), req_.h, req_.w);
    } else if (op == "timestep_embedding") {
      y = be.timestep_embedding(req_.timesteps, req_.dim);
    } else if (op == "token_embedding") {
      y = be.token_embedding(arg(0), arg(1), opt(2), req_.tokens, req_.mask, req_.batch);
    } else {
      fail("unknown op '", op, "'");
    }
    shape_ = y.shape();
    out_.resize(static_cast<size_t>(y.numel()));
    be.download(y, out_.data());
  }
  Napi::Value result(Napi::Env env) override { return tensor_to_js(env, shape_, out_); }

  OpRequest req_;
  Shape shape_;
  std::vector<float> out_;
};

Napi::Value op_run(const Napi::CallbackInfo& info) { return (new OpWorker(info.Env(), parse_request(info)))->start(); }

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("opRun", glide::addon::op_run);
