// The fp32 CPU backend: the reference implementation of every op (one op per file in this
// directory), multi-threaded with OpenMP.
#pragma once
#include "core/backend.h"

namespace glide::cpu {

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::Cpu; }
  std::string name() const override { return "cpu-fp32"; }

  Tensor upload(const float* data, const Shape& shape) override;
  void download(const Tensor& t, float* out) override;
  Tensor adopt_weight(const Tensor& host) override;

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
};

/** The process-wide CPU backend (stateless, safe to share between threads). */
CpuBackend& cpu_backend();

/** Element count above which elementwise loops are split across OpenMP threads. */
constexpr int64_t kParallelElements = 1 << 15;

}  // namespace glide::cpu
