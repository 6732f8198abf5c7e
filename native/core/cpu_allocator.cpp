#include "core/cpu_allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

namespace glide {
namespace {

// Blocks from this size up are cached (below it malloc reuses memory without page faults).
constexpr size_t kCacheFrom = 64 * 1024;
// Cache at most this much; a block that would exceed it is freed.
constexpr size_t kCacheCap = size_t{1} << 30;

struct Cache {
  std::mutex mutex;
  std::multimap<size_t, void*> blocks;  // rounded size -> block
  size_t bytes = 0;
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: storage may be freed during static destruction
  return *c;
}

size_t rounded(size_t bytes) {
  const size_t unit = bytes >= kCacheFrom ? 4096 : 64;
  return bytes == 0 ? unit : (bytes + unit - 1) / unit * unit;
}

}  // namespace

void* cpu_alloc(size_t bytes) {
  const size_t size = rounded(bytes);
  if (size >= kCacheFrom) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    const auto it = c.blocks.find(size);
    if (it != c.blocks.end()) {
      void* p = it->second;
      c.blocks.erase(it);
      c.bytes -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, size);
  if (p == nullptr) {
    // Give the cache back and retry once before failing.
    cpu_release_cached();
    p = std::aligned_alloc(64, size);
    if (p == nullptr) throw std::bad_alloc();
  }
  return p;
}

void cpu_free(void* p, size_t bytes) {
  if (p == nullptr) return;
  const size_t size = rounded(bytes);
  if (size >= kCacheFrom) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.bytes + size <= kCacheCap) {
      c.blocks.emplace(size, p);
      c.bytes += size;
      return;
    }
  }
  std::free(p);
}

void* cpu_alloc_uncached(size_t bytes) {
  void* p = std::aligned_alloc(64, rounded(bytes));
  if (p == nullptr) {
    cpu_release_cached();
    p = std::aligned_alloc(64, rounded(bytes));
    if (p == nullptr) throw std::bad_alloc();
  }
  return p;
}

void cpu_free_uncached(void* p) { std::free(p); }

void cpu_release_cached() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, p] : c.blocks) std::free(p);
  c.blocks.clear();
  c.bytes = 0;
}

size_t cpu_cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.bytes;
}

}  // namespace glide
