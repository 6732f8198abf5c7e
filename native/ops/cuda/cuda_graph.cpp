#include "ops/cuda/cuda_graph.h"

#include "core/error.h"
#include "ops/cuda/cuda_check.h"

namespace glide::cuda {

std::unique_ptr<CapturedGraph> CapturedGraph::capture(CudaBackend& be, const std::function<void()>& body) {
  const auto lock = be.enter();
  auto pool = std::make_shared<CapturePool>(be.ordinal());
  cudaStream_t stream = be.stream();
  be.arena().begin_capture(pool);
  // Relaxed mode: the arena may cudaMalloc (and pin host staging) while the stream captures.
  cudaError_t err = cudaStreamBeginCapture(stream, cudaStreamCaptureModeRelaxed);
  if (err != cudaSuccess) {
    be.arena().end_capture();
    throw_cuda_error(err, "cudaStreamBeginCapture", __FILE__, __LINE__);
  }
  cudaGraph_t graph = nullptr;
  try {
    body();
  } catch (...) {
    // End the capture whatever happened, so the stream leaves capture mode, and drop the partial graph.
    cudaStreamEndCapture(stream, &graph);
    cudaGetLastError();
    if (graph != nullptr) cudaGraphDestroy(graph);
    be.arena().end_capture();
    throw;
  }
  err = cudaStreamEndCapture(stream, &graph);
  be.arena().end_capture();
  if (err != cudaSuccess) {
    if (graph != nullptr) cudaGraphDestroy(graph);
    throw_cuda_error(err, "cudaStreamEndCapture", __FILE__, __LINE__);
  }
  cudaGraphExec_t exec = nullptr;
  err = cudaGraphInstantiate(&exec, graph, 0);
  if (err != cudaSuccess) {
    cudaGraphDestroy(graph);
    throw_cuda_error(err, "cudaGraphInstantiate", __FILE__, __LINE__);
  }
  return std::unique_ptr<CapturedGraph>(new CapturedGraph(be, graph, exec, std::move(pool)));
}

CapturedGraph::CapturedGraph(CudaBackend& be, cudaGraph_t graph, cudaGraphExec_t exec, std::shared_ptr<CapturePool> pool)
    : be_(be), graph_(graph), exec_(exec), pool_(std::move(pool)) {
  cudaGraphGetNodes(graph_, nullptr, &nodes_);
}

CapturedGraph::~CapturedGraph() {
  // A replay may still run: the pool's memory is freed only after the stream drained.
  cudaSetDevice(be_.ordinal());
  cudaStreamSynchronize(be_.stream());
  cudaGraphExecDestroy(exec_);
  cudaGraphDestroy(graph_);
}

void CapturedGraph::replay() {
  const auto lock = be_.enter();
  GLIDE_CUDA_CHECK(cudaGraphLaunch(exec_, be_.stream()));
}

size_t CapturedGraph::pool_bytes() const { return pool_->bytes(); }

}  // namespace glide::cuda
