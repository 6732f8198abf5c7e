// Caching allocator for CPU tensor storage. A UNet call allocates hundreds of activation buffers of
// the same sizes as the previous call; fresh pages cost ~2 µs each to fault in, so freed large blocks
// are kept (up to a cap) and handed out again for the same size. Small blocks go straight to malloc.
#pragma once
#include <cstddef>

namespace glide {

/** 64-byte aligned block of at least `bytes`; throws std::bad_alloc. */
void* cpu_alloc(size_t bytes);
/** Returns a block from cpu_alloc (same `bytes`); it may be cached for reuse. */
void cpu_free(void* p, size_t bytes);
/** 64-byte aligned block that bypasses the cache (weights); free with cpu_free_uncached. */
void* cpu_alloc_uncached(size_t bytes);
void cpu_free_uncached(void* p);
/** Frees every cached block (called when a model is disposed, so memory drops when users expect). */
void cpu_release_cached();
/** Bytes currently held in the cache. */
size_t cpu_cached_bytes();

}  // namespace glide
