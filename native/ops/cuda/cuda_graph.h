// Capture and replay of a CUDA graph on a CudaBackend's stream: everything a body enqueues (a whole UNet
// forward and sampler step: ~1000 kernels) becomes one graph launched with one call. Memory the body
// allocates comes from a CapturePool owned by the graph (see device_arena.h), so the addresses baked into
// the graph stay valid and reserved for as long as it lives.
#pragma once
#include <cuda_runtime.h>

#include <functional>
#include <memory>

#include "ops/cuda/cuda_backend.h"

namespace glide::cuda {

class CapturedGraph {
 public:
  /**
   * Runs `body` with the backend's stream in capture mode (nothing executes) and instantiates the result.
   * The backend is locked for the whole capture. Inputs the body reads must live at fixed addresses the
   * caller keeps (refresh their contents before each replay); host values the body uploads are staged in
   * pinned memory and replayed as they were. Throws, leaving the stream usable, when the body or the
   * capture fails.
   */
  static std::unique_ptr<CapturedGraph> capture(CudaBackend& be, const std::function<void()>& body);
  ~CapturedGraph();
  CapturedGraph(const CapturedGraph&) = delete;
  CapturedGraph& operator=(const CapturedGraph&) = delete;

  /** Enqueues one replay on the backend's stream. */
  void replay();
  /** Kernel and copy nodes in the graph. */
  size_t nodes() const { return nodes_; }
  /** Device bytes the graph's pool holds. */
  size_t pool_bytes() const;

 private:
  CapturedGraph(CudaBackend& be, cudaGraph_t graph, cudaGraphExec_t exec, std::shared_ptr<CapturePool> pool);
  CudaBackend& be_;
  cudaGraph_t graph_;
  cudaGraphExec_t exec_;
  std::shared_ptr<CapturePool> pool_;
  size_t nodes_ = 0;
};

}  // namespace glide::cuda
