#include "ops/cuda/device_arena.h"

#include <cuda_runtime.h>

#include <stdexcept>

#include "core/error.h"
#include "ops/cuda/cuda_check.h"

namespace glide::cuda {
namespace {

constexpr size_t kRound = 512;            // every block is a multiple of this (and so 256-byte aligned)
constexpr size_t kMiB = size_t{1} << 20;

size_t round_up(size_t bytes) { return (bytes + kRound - 1) / kRound * kRound; }

// Takes the smallest free block of at least `bytes` that wastes at most about half of itself.
void* take_free(std::multimap<size_t, void*>& free, size_t bytes, size_t* got) {
  auto it = free.lower_bound(bytes);
  if (it == free.end() || it->first > 2 * bytes + kMiB) return nullptr;
  *got = it->first;
  void* p = it->second;
  free.erase(it);
  return p;
}

std::string mib(size_t bytes) { return str_cat(bytes / kMiB, " MiB"); }

}  // namespace

struct DeviceArena::State {
  explicit State(int d) : device(d) {}
  ~State() {
    cudaSetDevice(device);
    for (const auto& [block, size] : owned) cudaFree(block);
  }

  // cudaMalloc; on failure returns the cache to the driver and tries again, then throws with the sizes.
  void* device_malloc(size_t bytes, const char* what) {
    cudaSetDevice(device);
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, bytes);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      release_free_blocks();
      err = cudaMalloc(&p, bytes);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      size_t free_bytes = 0, total_bytes = 0;
      cudaMemGetInfo(&free_bytes, &total_bytes);
      if (err == cudaErrorMemoryAllocation) {
        size_t held = 0;
        {
          std::lock_guard<std::mutex> lock(mutex);
          held = reserved;
        }
        throw std::runtime_error(str_cat("CUDA out of memory allocating ", mib(bytes), " for ", what, " (the device has ",
                                         mib(free_bytes), " free of ", mib(total_bytes),
                                         "; this model's activations hold ", mib(held), ")"));
      }
      throw_cuda_error(err, "cudaMalloc", __FILE__, __LINE__);
    }
    return p;
  }

  void release_free_blocks() {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& [size, block] : free) {
      cudaFree(block);
      owned.erase(block);
      reserved -= size;
    }
    free.clear();
  }

  // Deleter of an arena block: back to the cache, or to the active capture's pool (see the header).
  void release(void* block, size_t size) {
    std::lock_guard<std::mutex> lock(mutex);
    if (capture) {
      owned.erase(block);
      reserved -= size;
      std::lock_guard<std::mutex> pool_lock(capture->mutex_);
      capture->blocks_.emplace_back(block, size);
      capture->free_.emplace(size, block);
      return;
    }
    free.emplace(size, block);
  }

  int device;
  mutable std::mutex mutex;
  std::multimap<size_t, void*> free;
  std::unordered_map<void*, size_t> owned;
  size_t reserved = 0;
  std::shared_ptr<CapturePool> capture;
};

CapturePool::~CapturePool() {
  cudaSetDevice(device_);
  for (const auto& [block, size] : blocks_) cudaFree(block);
  for (void* p : pinned_) cudaFreeHost(p);
}

size_t CapturePool::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t total = 0;
  for (const auto& [block, size] : blocks_) total += size;
  return total;
}

DeviceArena::DeviceArena(int device) : state_(std::make_shared<State>(device)) {}

DeviceArena::~DeviceArena() { trim(); }

std::shared_ptr<Storage> DeviceArena::allocate(size_t bytes) {
  const size_t want = round_up(bytes == 0 ? 1 : bytes);
  std::shared_ptr<CapturePool> pool;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    pool = state_->capture;
    if (!pool) {
      size_t got = 0;
      if (void* p = take_free(state_->free, want, &got)) {
        return std::make_shared<Storage>(p, bytes, Device::Cuda, [s = state_, got](void* q) { s->release(q, got); });
      }
    }
  }
  if (pool) {
    size_t got = 0;
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(pool->mutex_);
      p = take_free(pool->free_, want, &got);
    }
    if (p == nullptr) {
      p = state_->device_malloc(want, "an activation (CUDA graph capture)");
      got = want;
      std::lock_guard<std::mutex> lock(pool->mutex_);
      pool->blocks_.emplace_back(p, got);
    }
    // The pool outlives the storage: the deleter holds it.
    return std::make_shared<Storage>(p, bytes, Device::Cuda, [pool, got](void* q) {
      std::lock_guard<std::mutex> lock(pool->mutex_);
      pool->free_.emplace(got, q);
    });
  }
  void* p = state_->device_malloc(want, "an activation");
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->owned.emplace(p, want);
    state_->reserved += want;
  }
  // The deleter holds the State: a tensor outliving the arena (a TextContext kept after its model was disposed)
  // keeps its block valid, and the last one frees them all.
  return std::make_shared<Storage>(p, bytes, Device::Cuda, [s = state_, want](void* q) { s->release(q, want); });
}

std::shared_ptr<Storage> DeviceArena::allocate_persistent(size_t bytes) {
  void* p = state_->device_malloc(bytes == 0 ? 1 : bytes, "a weight");
  const int device = state_->device;
  return std::make_shared<Storage>(p, bytes, Device::Cuda, [device](void* q) {
    cudaSetDevice(device);
    cudaFree(q);
  });
}

void* DeviceArena::capture_pinned(size_t bytes) {
  std::shared_ptr<CapturePool> pool;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    pool = state_->capture;
  }
  GLIDE_CHECK(pool != nullptr, "internal error: pinned capture memory requested outside a capture");
  void* p = nullptr;
  GLIDE_CUDA_CHECK(cudaMallocHost(&p, bytes == 0 ? 1 : bytes));
  std::lock_guard<std::mutex> lock(pool->mutex_);
  pool->pinned_.push_back(p);
  return p;
}

void DeviceArena::begin_capture(std::shared_ptr<CapturePool> pool) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  GLIDE_CHECK(!state_->capture, "internal error: a CUDA graph capture is already active on this arena");
  state_->capture = std::move(pool);
}

void DeviceArena::end_capture() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->capture.reset();
}

bool DeviceArena::capturing() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->capture != nullptr;
}

void DeviceArena::trim() { state_->release_free_blocks(); }

size_t DeviceArena::reserved_bytes() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->reserved;
}

}  // namespace glide::cuda
