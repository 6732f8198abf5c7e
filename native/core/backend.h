// The op interface model code calls. A backend owns its tensors' memory and implements every op
// for one device/precision: CpuBackend (native/ops/cpu) is the fp32 reference; a oneDNN/bf16 CPU
// backend and a CUDA backend implement the same interface, so native/models never changes.
// Ops are deliberately coarse (GroupNorm fused with scale-shift and SiLU, whole attention) so that
// faster backends can fuse them. All tensors are contiguous; shapes are given in comments.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace glide {

/** Memory order of the packed q/k/v input of `Backend::attention` (and of its output). */
enum class AttentionLayout {
  // qkv [N, heads·3·d, L] -> out [N, heads·d, L]: the UNet AttentionBlock (Conv1d outputs).
  ChannelsFirst,
  // qkv [N, L, heads·3·d] -> out [N, L, heads·d]: the text transformer (Linear outputs).
  TokensFirst,
};

/** Options of the fused group normalisation. */
struct GroupNormArgs {
  int groups = 32;
  float eps = 1e-5f;
  // Optional [N, 2·C] (or [N, 2·C, 1, 1]): after normalising, y = y·(1 + scale) + shift with
  // scale = channels [0, C) and shift = [C, 2C) (ResBlock with use_scale_shift_norm).
  const Tensor* scale_shift = nullptr;
  // Apply SiLU last.
  bool silu = false;
};

/** How a loaded weight will be used, so that a backend can prepare it once at load time. */
struct WeightRole {
  enum class Kind : uint8_t { Conv, Linear } kind = Kind::Linear;
  int stride = 1;  // Conv only
  int pad = 0;     // Conv only
  static WeightRole conv(int stride, int pad) { return WeightRole{Kind::Conv, stride, pad}; }
  static WeightRole linear() { return WeightRole{}; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  /** Human-readable name ("cpu-fp32"). */
  virtual std::string name() const = 0;

  // --- memory -------------------------------------------------------------------------------
  /** Copies host float32 data into a new backend tensor. */
  virtual Tensor upload(const float* data, const Shape& shape) = 0;
  /** Copies a backend tensor to host float32 memory of t.numel() elements. */
  virtual void download(const Tensor& t, float* out) = 0;
  /** Takes a float32 CPU weight as loaded from a checkpoint and returns the backend's copy
   *  (the CPU backend keeps it as is; others convert or upload it). */
  virtual Tensor adopt_weight(const Tensor& host) = 0;
  /** A conv2d weight [O, C, kh, kw] or linear weight [O, K] (as adopt_weight returned it) prepared for
   *  `role` — the oneDNN backend reorders it into its kernels' blocked layout here, once. Ops accept
   *  the result in place of the weight. Default: unchanged. */
  virtual Tensor prepare_weight(const Tensor& w, const WeightRole& role) {
    (void)role;
    return w;
  }

  // --- ops ----------------------------------------------------------------------------------
  /** y [..., O] = x [..., K] · w[O, K]ᵀ + b [O] (b optional). */
  virtual Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b) = 0;
  /** y [N, O, H', W'] = conv(x [N, C, H, W], w [O, C, kh, kw]) + b [O]; zero padding `pad`. */
  virtual Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int pad) = 0;
  /** x [N, C, ...] normalised over (C/groups channels × spatial) per group, then ·gamma[C] + beta[C],
   *  then the optional scale-shift and SiLU of `args`. */
  virtual Tensor group_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const GroupNormArgs& args) = 0;
  /** x [..., W] normalised over the last dimension, ·gamma[W] + beta[W]. */
  virtual Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) = 0;
  /**
   * Multi-head attention on a fused qkv tensor whose channels are grouped per head as
   * [q | k | v] (d channels each). `prefix_kv` (optional, [N, heads·2·d, T] channels-first,
   * grouped per head as [k | v]) is prepended to the keys/values. q and k are each scaled by
   * d^(-1/4); softmax over all keys in float32; no mask.
   */
  virtual Tensor attention(const Tensor& qkv, const Tensor* prefix_kv, int heads, AttentionLayout layout) = 0;
  /**
   * Multi-head self-attention on separate q, k, v [N, L, heads·d] (head h = features [h·d, (h+1)·d)),
   * the noised CLIP's layout -> [N, L, heads·d]. q and k are each scaled by d^(-1/4); softmax in float32;
   * with `causal`, query i attends to keys 0..i only.
   */
  virtual Tensor self_attention(const Tensor& q, const Tensor& k, const Tensor& v, int heads, bool causal) = 0;
  /** x·sigmoid(x) */
  virtual Tensor silu(const Tensor& x) = 0;
  /** GELU, erf form. */
  virtual Tensor gelu(const Tensor& x) = 0;
  /** a + b, b broadcast to a's shape (same rank; each dim of b equal to a's or 1). */
  virtual Tensor add(const Tensor& a, const Tensor& b) = 0;
  /** a · b with the broadcasting of `add`. */
  virtual Tensor mul(const Tensor& a, const Tensor& b) = 0;
  /** Concatenation along `axis` (all other dims equal). */
  virtual Tensor concat(const std::vector<Tensor>& parts, int axis) = 0;
  /** [..., A, B] -> [..., B, A] */
  virtual Tensor transpose_last2(const Tensor& x) = 0;
  /** x with dimension `axis` fixed at `index` (that dimension removed). */
  virtual Tensor select(const Tensor& x, int axis, int64_t index) = 0;
  /** Nearest-neighbour ×2: [N, C, H, W] -> [N, C, 2H, 2W] */
  virtual Tensor upsample_nearest2x(const Tensor& x) = 0;
  /** 2×2 average pooling, stride 2: [N, C, H, W] -> [N, C, H/2, W/2] */
  virtual Tensor avg_pool2x2(const Tensor& x) = 0;
  /** Bilinear resize, align_corners=False (half-pixel centres), no antialias: -> [N, C, h, w] */
  virtual Tensor resize_bilinear(const Tensor& x, int64_t h, int64_t w) = 0;
  /** Sinusoidal embedding [N, dim] of timesteps (float32 arithmetic, cosines first). */
  virtual Tensor timestep_embedding(const std::vector<float>& timesteps, int64_t dim) = 0;
  /**
   * Text input embedding [N, T, W]: table[tokens[n,t]] + positional[t]; where `padding` is given
   * and mask[n,t] is 0, the row is replaced by padding[t]. tokens/mask are [N·T] row-major.
   */
  virtual Tensor token_embedding(const Tensor& table, const Tensor& positional, const Tensor* padding,
                                 const std::vector<int32_t>& tokens, const std::vector<uint8_t>& mask,
                                 int64_t batch) = 0;
};

}  // namespace glide
