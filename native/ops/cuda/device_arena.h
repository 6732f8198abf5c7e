// Device memory for the CUDA backend. Weights get exact, persistent allocations; activations come from a
// caching arena: a block freed when its last Tensor goes is kept and handed to the next request of about
// its size, so after the first denoising step a forward allocates nothing from the driver. Reuse is
// stream-ordered: every user of one arena enqueues its work on the same stream, so a block freed by an
// earlier op is only overwritten by work that runs after that op.
//
// While a CUDA graph is being captured, blocks come from a CapturePool that the graph owns: the addresses
// baked into the graph stay reserved for it, and a block freed during the capture (its last use is a node
// of the graph, run at every replay) moves to that pool instead of back to the arena.
#pragma once
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"

namespace glide::cuda {

/** Device blocks (and pinned host staging buffers) owned by one captured graph; freed with it. */
class CapturePool {
 public:
  explicit CapturePool(int device) : device_(device) {}
  ~CapturePool();
  CapturePool(const CapturePool&) = delete;
  CapturePool& operator=(const CapturePool&) = delete;

  /** Device bytes held. */
  size_t bytes() const;

 private:
  friend class DeviceArena;
  int device_;
  mutable std::mutex mutex_;
  std::multimap<size_t, void*> free_;                  // size -> block, reusable within the capture
  std::vector<std::pair<void*, size_t>> blocks_;       // every device block it owns
  std::vector<void*> pinned_;                          // host staging buffers read by memcpy nodes
};

class DeviceArena {
 public:
  explicit DeviceArena(int device);
  ~DeviceArena();
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;

  /** Activation storage of at least `bytes` (reused when possible); throws with sizes when out of memory. */
  std::shared_ptr<Storage> allocate(size_t bytes);
  /** An exact allocation freed with its last Tensor (weights). */
  std::shared_ptr<Storage> allocate_persistent(size_t bytes);
  /** Pinned host memory kept alive by the active capture (memcpy nodes read it at every replay). */
  void* capture_pinned(size_t bytes);

  /** Routes allocations into `pool` until end_capture(); one capture at a time. */
  void begin_capture(std::shared_ptr<CapturePool> pool);
  void end_capture();
  bool capturing() const;

  /** Returns cached free blocks to the driver (call with the stream idle). */
  void trim();
  /** Bytes of activation blocks held, in use or cached. */
  size_t reserved_bytes() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace glide::cuda
