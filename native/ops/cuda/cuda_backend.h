// The CUDA backend: every op of core/backend.h as our own kernels (one op per .cu file in this directory,
// named like its CPU twin in native/ops/cpu), on one stream per backend, with activations from a caching
// device arena and weights uploaded once.
//
// Precision: activations and every weight of rank >= 2 (conv, linear, embedding tables) are held in the
// compute dtype — float32, bfloat16 or float16 — while rank-1 weights (biases, norm gains) stay float32.
// Kernels read their inputs in the compute dtype and do all arithmetic in float32: matrix products on
// tensor cores with float32 accumulation (bf16/fp16) or in plain float32 (fp32, for parity with the CPU
// reference); normalisation statistics, softmax and the sampler in float32 or float64.
//
// One backend belongs to one model (its stream and arena are not shared), and its ops may be called from
// any thread: a recursive mutex serialises them, and a CUDA graph capture holds it for the whole capture.
#pragma once
#include <cuda_runtime.h>

#include <mutex>
#include <string>

#include "core/backend.h"
#include "ops/cuda/device_arena.h"

namespace glide::cuda {

/** Compute precision of a CUDA backend. */
enum class Precision { F32, BF16, F16 };

/** "fp32" | "bf16" | "fp16" -> Precision; throws naming the value otherwise. */
Precision parse_precision(const std::string& name);
const char* precision_name(Precision p);

class CudaBackend final : public Backend {
 public:
  /** Creates a stream and an arena on device `ordinal`; throws when CUDA is unavailable. */
  explicit CudaBackend(Precision precision, int ordinal = 0);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  Device device() const override { return Device::Cuda; }
  std::string name() const override;

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

  // --- CUDA specifics -------------------------------------------------------------------------
  Precision precision() const { return precision_; }
  /** The activation dtype: F32, BF16 or F16. */
  DType compute_dtype() const { return compute_dtype_; }
  int ordinal() const { return ordinal_; }
  cudaStream_t stream() const { return stream_; }
  DeviceArena& arena() { return arena_; }
  int multiprocessors() const { return multiprocessors_; }

  /** Locks the backend for the calling thread and makes its device current (every op starts with this). */
  std::unique_lock<std::recursive_mutex> enter();

  /** An uninitialised activation tensor from the arena. */
  Tensor empty(Shape shape, DType dtype);
  /** `x` converted to `dtype` on the device (x itself when it already has that dtype). */
  Tensor cast(const Tensor& x, DType dtype);
  /** Copies `bytes` of host memory to device memory on the stream; inside a capture the data is staged in
   *  pinned memory owned by the graph, so every replay copies the same values. */
  void copy_to_device(void* dst, const void* src, size_t bytes);
  /** Waits for the stream; throws the first asynchronous error. */
  void synchronize();

  /**
   * For a graph capture: while bound, timestep_embedding reads its N timesteps from `device_timesteps`
   * (float32 [N], written before each replay) instead of baking the host values into the graph.
   * Pass nullptr to unbind.
   */
  void bind_timesteps(const float* device_timesteps, int64_t n);

 private:
  Precision precision_;
  DType compute_dtype_;
  int ordinal_;
  int multiprocessors_ = 1;
  cudaStream_t stream_ = nullptr;
  DeviceArena arena_;
  std::recursive_mutex mutex_;
  const float* bound_timesteps_ = nullptr;
  int64_t bound_timestep_count_ = 0;
};

/** The CudaBackend behind `be`; throws when `be` is another backend. */
CudaBackend& as_cuda(Backend& be);

}  // namespace glide::cuda
