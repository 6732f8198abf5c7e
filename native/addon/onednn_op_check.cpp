// onednnOpCheck(op, params, precision): Promise<{rel, maxAbs, maxRef}> — runs one op of the oneDNN
// backend and of the portable reference backend on the same deterministic random inputs and compares
// them (relative L2 error, largest absolute difference, largest reference magnitude). The op tests
// (test/onednn-ops.test.mjs) use it to reach shapes the fixture models do not have (odd head widths,
// long text prefixes, strides). Rejects in a build without oneDNN.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "addon/model_worker.h"
#include "addon/registry.h"
#include "core/error.h"
#include "ops/cpu/cpu_backend.h"
#ifdef GLIDE_HAVE_ONEDNN
#include "ops/onednn/onednn_backend.h"
#endif

namespace glide::addon {
namespace {

struct Comparison {
  double rel = 0, max_abs = 0, max_ref = 0;
};

#ifdef GLIDE_HAVE_ONEDNN

// Deterministic values in [−1, 1] (an LCG per tensor).
Tensor random_tensor(const Shape& shape, uint32_t seed) {
  Tensor t = cpu_tensor(shape);
  float* p = t.f32();
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = static_cast<float>(s >> 8) / 8388608.0f - 1.0f;
  }
  return t;
}

std::vector<float> host(Backend& be, const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  be.download(t, out.data());
  return out;
}

class OpCheck {
 public:
  OpCheck(std::string op, std::map<std::string, int64_t> p, onednn::Precision precision)
      : op_(std::move(op)), p_(std::move(p)), fast_(precision) {}

  Comparison run() {
    const std::vector<float> want = evaluate(cpu::cpu_backend(), false);
    const std::vector<float> got = evaluate(fast_, true);
    GLIDE_CHECK(want.size() == got.size(), op_, ": output sizes differ (", want.size(), " vs ", got.size(), ")");
    Comparison c;
    double diff2 = 0, ref2 = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      const double d = static_cast<double>(got[i]) - want[i];
      diff2 += d * d;
      ref2 += static_cast<double>(want[i]) * want[i];
      c.max_abs = std::max(c.max_abs, std::isfinite(d) ? std::abs(d) : INFINITY);
      c.max_ref = std::max(c.max_ref, static_cast<double>(std::abs(want[i])));
    }
    c.rel = std::sqrt(diff2) / std::max(std::sqrt(ref2), 1e-30);
    return c;
  }

 private:
  int64_t at(const char* key) const {
    const auto it = p_.find(key);
    GLIDE_CHECK(it != p_.end(), op_, ": parameter '", key, "' is missing");
    return it->second;
  }
  int64_t get(const char* key, int64_t fallback) const {
    const auto it = p_.find(key);
    return it == p_.end() ? fallback : it->second;
  }
  // An activation as the model hands it to the backend (the oneDNN backend keeps them channels-last).
  Tensor act(Backend& be, bool fast, const Shape& shape, uint32_t seed) {
    const Tensor t = random_tensor(shape, seed);
    const Tensor up = be.upload(t.f32(), shape);
    return fast ? fast_.activation(up) : up;
  }
  Tensor weight(Backend& be, const Shape& shape, uint32_t seed, const WeightRole& role) {
    Tensor w = random_tensor(shape, seed);
    // fan-in scaling keeps outputs O(1)
    const float scale = 1.0f / std::sqrt(static_cast<float>(w.numel() / shape[0]));
    for (int64_t i = 0; i < w.numel(); ++i) w.f32()[i] *= scale;
    return be.prepare_weight(be.adopt_weight(w), role);
  }

  std::vector<float> evaluate(Backend& be, bool fast) {
    if (op_ == "conv2d") {
      const int64_t n = at("n"), c = at("c"), h = at("h"), w = at("w"), o = at("o"), k = at("k");
      const int stride = static_cast<int>(get("stride", 1)), pad = static_cast<int>(get("pad", k / 2));
      const Tensor wt = weight(be, {o, c, k, k}, 2, WeightRole::conv(stride, pad));
      const Tensor b = be.adopt_weight(random_tensor({o}, 3));
      return host(be, be.conv2d(act(be, fast, {n, c, h, w}, 1), wt, &b, stride, pad));
    }
    if (op_ == "linear") {
      const int64_t m = at("m"), k = at("k"), o = at("o");
      const Tensor x = be.upload(random_tensor({m, k}, 1).f32(), {m, k});
      const Tensor b = be.adopt_weight(random_tensor({o}, 3));
      return host(be, be.linear(x, weight(be, {o, k}, 2, WeightRole::linear()), &b));
    }
    if (op_ == "group_norm") {
      const int64_t n = at("n"), c = at("c"), h = at("h"), w = at("w");
      GroupNormArgs args;
      args.silu = get("silu", 0) != 0;
      Tensor ss;
      if (get("scaleShift", 0) != 0) {
        ss = be.upload(random_tensor({n, 2 * c}, 4).f32(), {n, 2 * c});
        args.scale_shift = &ss;
      }
      const Tensor gamma = be.adopt_weight(random_tensor({c}, 2)), beta = be.adopt_weight(random_tensor({c}, 3));
      // A large common offset checks the statistics for cancellation.
      Tensor x = random_tensor({n, c, h, w}, 1);
      for (int64_t i = 0; i < x.numel(); ++i) x.f32()[i] = x.f32()[i] * 0.5f + static_cast<float>(get("offset", 0));
      Tensor in = be.upload(x.f32(), x.shape());
      if (fast) in = fast_.activation(in);
      return host(be, be.group_norm(in, gamma, beta, args));
    }
    if (op_ == "attention") {
      const int64_t n = at("n"), heads = at("heads"), d = at("d"), len = at("len"), t = get("t", 0);
      const bool tokens = get("tokensFirst", 0) != 0;
      const Shape qkv_shape = tokens ? Shape{n, len, heads * 3 * d} : Shape{n, heads * 3 * d, len};
      Tensor qkv = be.upload(random_tensor(qkv_shape, 1).f32(), qkv_shape);
      if (fast && !tokens) qkv = fast_.activation(qkv);
      Tensor prefix;
      if (t > 0) prefix = act(be, fast, {n, heads * 2 * d, t}, 2);
      return host(be, be.attention(qkv, t > 0 ? &prefix : nullptr, static_cast<int>(heads),
                                   tokens ? AttentionLayout::TokensFirst : AttentionLayout::ChannelsFirst));
    }
    const int64_t n = at("n"), c = at("c"), h = at("h"), w = at("w");
    if (op_ == "add") {
      const Tensor a = act(be, fast, {n, c, h, w}, 1);
      if (get("broadcast", 0) != 0) {
        const Tensor b = be.upload(random_tensor({n, c, 1, 1}, 2).f32(), {n, c, 1, 1});
        return host(be, be.add(a, b));
      }
      return host(be, be.add(a, act(be, fast, {n, c, h, w}, 2)));
    }
    if (op_ == "concat") return host(be, be.concat({act(be, fast, {n, c, h, w}, 1), act(be, fast, {n, at("c2"), h, w}, 2)}, 1));
    if (op_ == "upsample_nearest2x") return host(be, be.upsample_nearest2x(act(be, fast, {n, c, h, w}, 1)));
    if (op_ == "avg_pool2x2") return host(be, be.avg_pool2x2(act(be, fast, {n, c, h, w}, 1)));
    if (op_ == "silu") return host(be, be.silu(act(be, fast, {n, c, h, w}, 1)));
    fail("unknown op '", op_, "'");
  }

  std::string op_;
  std::map<std::string, int64_t> p_;
  onednn::OnednnBackend fast_;
};

#endif

class CheckWorker final : public PromiseWorker {
 public:
  CheckWorker(Napi::Env env, std::string op, std::map<std::string, int64_t> params, std::string precision)
      : PromiseWorker(env, "onednnOpCheck " + op), op_(std::move(op)), params_(std::move(params)),
        precision_(std::move(precision)) {}

 private:
  void run() override {
#ifdef GLIDE_HAVE_ONEDNN
    GLIDE_CHECK(precision_ == "fp32" || precision_ == "bf16", "precision must be fp32 or bf16");
    OpCheck check(op_, params_, precision_ == "bf16" ? onednn::Precision::BF16 : onednn::Precision::F32);
    result_ = check.run();
#else
    fail("this build has no oneDNN backend");
#endif
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("rel", result_.rel);
    o.Set("maxAbs", result_.max_abs);
    o.Set("maxRef", result_.max_ref);
    return o;
  }

  std::string op_;
  std::map<std::string, int64_t> params_;
  std::string precision_;
  Comparison result_;
};

Napi::Value onednn_op_check(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsObject() || !info[2].IsString())
    throw Napi::TypeError::New(env, "onednnOpCheck(op: string, params: object, precision: string)");
  std::map<std::string, int64_t> params;
  const Napi::Object o = info[1].As<Napi::Object>();
  const Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
    const Napi::Value v = o.Get(key);
    if (v.IsBoolean()) {
      params[key] = v.As<Napi::Boolean>().Value() ? 1 : 0;
    } else if (v.IsNumber()) {
      params[key] = v.As<Napi::Number>().Int64Value();
    } else {
      throw Napi::TypeError::New(env, "onednnOpCheck: parameter '" + key + "' must be a number or boolean");
    }
  }
  return (new CheckWorker(env, info[0].As<Napi::String>().Utf8Value(), std::move(params),
                          info[2].As<Napi::String>().Utf8Value()))
      ->start();
}

}  // namespace
}  // namespace glide::addon

GLIDE_EXPORT("onednnOpCheck", glide::addon::onednn_op_check);
