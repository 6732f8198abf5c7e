// native/ops/onednn — the fast CPU backend: a second CPU backend behind the same Backend interface as
// native/ops/cpu (the portable fp32 reference), compiled only when oneDNN (Debian `libdnnl-dev`) is
// found at build time (scripts/onednn.cjs). Convolutions and linear layers run on oneDNN primitives
// (AMX or AVX512-BF16 brgemm kernels in bf16, AVX-512 in fp32) with their weights reordered into
// oneDNN's blocked layouts once at load; activations stay channels-last (NHWC) in the backend's
// precision from op to op. What oneDNN 2.6 lacks is ours, one op per file here: fused GroupNorm +
// scale-shift + SiLU, flash-style attention with the text keys prepended, the channels-last glue
// (add, concat, resampling). Small row-major float32 work (text embedding, time embedding) goes to the
// portable kernels. One OpenMP pool serves both: Debian's libdnnl uses the same libgomp runtime.
#pragma once
#include <memory>
#include <string>

#include "core/backend.h"

namespace glide::onednn {

/** Arithmetic of the convolutions, matmuls and stored activations (statistics and softmax stay fp32). */
enum class Precision { F32, BF16 };

class OnednnBackend final : public Backend {
 public:
  explicit OnednnBackend(Precision precision);
  ~OnednnBackend() override;
  OnednnBackend(const OnednnBackend&) = delete;
  OnednnBackend& operator=(const OnednnBackend&) = delete;

  Device device() const override { return Device::Cpu; }
  std::string name() const override { return precision_ == Precision::BF16 ? "onednn-bf16" : "onednn-fp32"; }
  Precision precision() const { return precision_; }
  /** dtype of activations between ops: F32 or BF16. */
  DType act_dtype() const { return precision_ == Precision::BF16 ? DType::BF16 : DType::F32; }

  Tensor upload(const float* data, const Shape& shape) override;
  void download(const Tensor& t, float* out) override;
  Tensor adopt_weight(const Tensor& host) override;
  Tensor prepare_weight(const Tensor& w, const WeightRole& role) override;

  Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b) override;
  Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int pad) override;
  Tensor group_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const GroupNormArgs& args) override;
  Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) override;
  Tensor attention(const Tensor& qkv, const Tensor* prefix_kv, int heads, AttentionLayout layout) override;
  Tensor self_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, bool causal) override;
  Tensor silu(const Tensor& x) override;
  Tensor gelu(const Tensor& x) override;
  Tensor add(const Tensor& a, const Tensor& b) override;
  Tensor mul(const Tensor& a, const Tensor& b) override;
  Tensor concat(const std::vector<Tensor>& parts, int axis) override;
  Tensor transpose_last2(const Tensor& x) override;
  Tensor select(const Tensor& x, int axis, int64_t index) override;
  Tensor upsample_nearest2x(const Tensor& x) override;
  Tensor avg_pool2x2(const Tensor& x) override;
  Tensor resize_bilinear(const Tensor& x, int64_t h, int64_t w) override;
  Tensor timestep_embedding(const std::vector<float>& timesteps, int64_t dim) override;
  Tensor token_embedding(const Tensor& table, const Tensor& positional, const Tensor* padding,
                         const std::vector<int32_t>& tokens, const std::vector<uint8_t>& mask,
                         int64_t batch) override;

  // --- helpers shared by the op files (native/ops/onednn/*.cpp) ---------------------------------
  /** An uninitialised tensor from the activation cache (core/cpu_allocator). */
  static Tensor alloc(Shape shape, DType dtype, Layout layout);
  /** `x` as a channels-last activation [N, C, spatial...] in act_dtype() (x itself when it already is). */
  Tensor activation(const Tensor& x);
  /** `x` as a row-major float32 tensor (x itself when it already is). */
  static Tensor plain(const Tensor& x);

  struct Primitives;  // oneDNN engine, primitive caches (onednn_primitives.h)
  Primitives& primitives() { return *prims_; }

 private:
  Precision precision_;
  std::unique_ptr<Primitives> prims_;
};

/** What oneDNN runs on this CPU, e.g. "avx512_core_amx" (dnnl::get_effective_cpu_isa). */
std::string cpu_isa();
/** Whether oneDNN has native bf16 dot products here: AMX-BF16 or AVX512-BF16. */
bool has_bf16_isa();
/** Whether oneDNN uses AMX tiles here. */
bool has_amx();
/** Whether bf16 is the faster precision here: AMX-BF16, or AVX512-BF16 on AMD (Zen 4/5 issue VDPBF16PS —
 *  two multiply-adds per lane — at the fp32 FMA rate, measured 1.8–2× faster than fp32 on GLIDE's convs).
 *  Intel's AVX512-BF16 without AMX is not faster than fp32. */
bool prefers_bf16();

}  // namespace glide::onednn
