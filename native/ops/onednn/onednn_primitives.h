// Internals shared by the oneDNN backend's op files: the engine, caches of primitive descriptors and
// primitives keyed by problem shape (creating a brgemm primitive costs milliseconds; a UNet step runs
// ~150 of them), prepared weights, and execution with a scratchpad from the activation cache.
#pragma once
#include <array>
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "ops/onednn/onednn_backend.h"

namespace glide::onednn {

using dnnl_dt = dnnl::memory::data_type;
using dnnl_tag = dnnl::memory::format_tag;

inline dnnl_dt dnnl_type(DType t) {
  switch (t) {
    case DType::F32: return dnnl_dt::f32;
    case DType::BF16: return dnnl_dt::bf16;
    case DType::F16: return dnnl_dt::f16;
  }
  return dnnl_dt::undef;
}

/**
 * A conv2d/linear weight prepared by the backend: the Opaque tensor handed to the model points at it.
 * It is reordered at load into the layout oneDNN picks for a nominal problem; oneDNN's choice can depend
 * on the spatial size, so the first real use re-packs it once if needed (and later, different sizes
 * keep their own copy).
 */
struct PackedWeight {
  static constexpr uint64_t kMagic = 0x676c6964656f6e65ULL;  // "glideone"
  uint64_t magic = kMagic;
  WeightRole role;
  Shape shape;  // logical: [O, C, kh, kw] or [O, K]
  DType dtype = DType::F32;
  std::mutex mutex;
  dnnl::memory current;     // the layout of the latest use
  bool provisional = true;  // `current` was chosen for the nominal problem at load
  std::vector<dnnl::memory> others;

  /** The weight in layout `want`, reordered from the packed copy once per new layout. */
  dnnl::memory in_layout(const dnnl::memory::desc& want, const dnnl::engine& engine);
};

/** Wraps `pw` in an Opaque tensor of its logical shape (the tensor owns it). */
Tensor packed_tensor(std::unique_ptr<PackedWeight> pw);
/** The PackedWeight behind an Opaque tensor made by packed_tensor (throws for anything else). */
PackedWeight& packed_weight(const Tensor& w);

struct ConvPlan {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward primitive;
};

struct LinearPlan {
  dnnl::inner_product_forward::primitive_desc pd;
  dnnl::inner_product_forward primitive;
};

/** Geometry of one convolution (N, C, H, W, O, kh, kw, stride, pad, dtype, bias). */
using ConvKey = std::array<int64_t, 11>;
/** Geometry of one linear layer (M, K, O, src dtype, bias). */
using LinearKey = std::array<int64_t, 5>;

struct OnednnBackend::Primitives {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::mutex mutex;
  std::map<ConvKey, std::shared_ptr<const ConvPlan>> convs;
  std::map<LinearKey, std::shared_ptr<const LinearPlan>> linears;

  /** The cached plan for `key` (created on first use). */
  std::shared_ptr<const ConvPlan> conv(const ConvKey& key);
  std::shared_ptr<const LinearPlan> linear(const LinearKey& key);
};

/** The descriptor of a convolution with channels-last src/dst and oneDNN's choice of weight layout. */
dnnl::convolution_forward::primitive_desc conv_descriptor(const dnnl::engine& engine, const ConvKey& key);
/** The descriptor of an inner product (src [M, K] row-major, dst [M, O] float32). */
dnnl::inner_product_forward::primitive_desc linear_descriptor(const dnnl::engine& engine, const LinearKey& key);

/** A oneDNN memory object over a tensor's data with descriptor `md`. */
dnnl::memory wrap(const dnnl::memory::desc& md, const dnnl::engine& engine, const Tensor& t);

/** Executes `primitive` on a fresh stream with a user scratchpad of `scratch_bytes` from the cache. */
void execute(const dnnl::primitive& primitive, const dnnl::engine& engine, std::unordered_map<int, dnnl::memory> args,
             const dnnl::memory::desc& scratchpad);

}  // namespace glide::onednn
