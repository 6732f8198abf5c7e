#include "ops/cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "core/aligned_buffer.h"
#include "core/parallel_error.h"

namespace glide::cpu {
namespace {

constexpr int VL = kGemmVec;
constexpr int MR = kGemmMR;
constexpr int NR = kGemmNR;
// Blocking: a B micro-panel (KC×NR) stays in L1 while the MC×KC block of A and the KC×(NR·panels)
// block of B sit in L2.
constexpr int64_t KC = 256;
constexpr int64_t MC = MR * 16;
// Column panels per task.
constexpr int64_t kPanelsPerTask = 256 / NR;
// Below this many multiply-adds a GEMM runs on one thread (team start-up would dominate).
constexpr double kParallelMacs = 2e5;

using vec = vec_f;
typedef float vec_u __attribute__((vector_size(VL * 4), aligned(4)));

// C tile [mr, nr] (+)= packed A micro-panel [MR × kc] · packed B micro-panel [kc × NR].
void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc,
                  int mr, int nr, bool accumulate) {
  vec c0[MR];
  vec c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    c0[i] = vec{};
    c1[i] = vec{};
  }
  for (int64_t p = 0; p < kc; ++p) {
    const vec b0 = *reinterpret_cast<const vec*>(b + p * NR);
    const vec b1 = *reinterpret_cast<const vec*>(b + p * NR + VL);
    const float* ap = a + p * MR;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const float ai = ap[i];
      c0[i] += ai * b0;
      c1[i] += ai * b1;
    }
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      vec_u* row = reinterpret_cast<vec_u*>(c + i * ldc);
      if (accumulate) {
        row[0] += c0[i];
        row[1] += c1[i];
      } else {
        row[0] = c0[i];
        row[1] = c1[i];
      }
    }
    return;
  }
  // Edge tile: spill to a local tile and copy the valid part.
  alignas(64) float tile[MR * NR];
  for (int i = 0; i < MR; ++i) {
    *reinterpret_cast<vec*>(tile + i * NR) = c0[i];
    *reinterpret_cast<vec*>(tile + i * NR + VL) = c1[i];
  }
  for (int i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    const float* t = tile + i * NR;
    if (accumulate) {
      for (int j = 0; j < nr; ++j) row[j] += t[j];
    } else {
      for (int j = 0; j < nr; ++j) row[j] = t[j];
    }
  }
}

// Packs A[i0 : i0+mc, p0 : p0+kc] as MR-row micro-panels: panel r holds kc columns of MR floats.
void pack_a(float* dst, const MatrixView& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    float* panel = dst + ir * kc;
    if (a.rs == 1) {
      // Column-major A (a transposed view): read down each column.
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = a.data + (i0 + ir) + (p0 + p) * a.cs;
        for (int i = 0; i < mr; ++i) panel[p * MR + i] = src[i];
      }
    } else {
      for (int i = 0; i < mr; ++i) {
        const float* src = a.data + (i0 + ir + i) * a.rs + p0 * a.cs;
        for (int64_t p = 0; p < kc; ++p) panel[p * MR + i] = src[p * a.cs];
      }
    }
    for (int i = mr; i < MR; ++i)
      for (int64_t p = 0; p < kc; ++p) panel[p * MR + i] = 0.0f;
  }
}

// Per-thread packing buffers, reused across calls (fresh pages are expensive).
AlignedBuffer& a_buffer() {
  static thread_local AlignedBuffer buffer;
  return buffer;
}
AlignedBuffer& b_buffer() {
  static thread_local AlignedBuffer buffer;
  return buffer;
}

}  // namespace

void MatrixPacker::pack_panel(float* dst, int64_t k0, int64_t kc, int64_t n0, int64_t nr) const {
  const float* base = b_.data + k0 * b_.rs + n0 * b_.cs;
  if (b_.cs == 1) {
    if (nr == NR) {
      // Full-width rows: two vector moves per row (a memcpy call per 128 bytes costs more).
      for (int64_t p = 0; p < kc; ++p) {
        const vec_u* src = reinterpret_cast<const vec_u*>(base + p * b_.rs);
        vec* d = reinterpret_cast<vec*>(dst + p * NR);
        d[0] = src[0];
        d[1] = src[1];
      }
      return;
    }
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t j = 0; j < nr; ++j) dst[p * NR + j] = base[p * b_.rs + j];
      for (int64_t j = nr; j < NR; ++j) dst[p * NR + j] = 0.0f;
    }
    return;
  }
  for (int64_t j = 0; j < nr; ++j) {
    const float* src = base + j * b_.cs;
    for (int64_t p = 0; p < kc; ++p) dst[p * NR + j] = src[p * b_.rs];
  }
  for (int64_t j = nr; j < NR; ++j)
    for (int64_t p = 0; p < kc; ++p) dst[p * NR + j] = 0.0f;
}

void sgemm(int64_t m, int64_t n, int64_t k, MatrixView a, const std::vector<GemmItem>& items, int64_t ldc,
           bool accumulate) {
  if (m <= 0 || n <= 0 || items.empty()) return;
  if (k <= 0) {
    if (!accumulate)
      for (const GemmItem& item : items)
        for (int64_t i = 0; i < m; ++i) std::memset(item.c + i * ldc, 0, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  const int64_t items_n = static_cast<int64_t>(items.size());
  const int64_t panels = (n + NR - 1) / NR;
  const int64_t mblocks = (m + MC - 1) / MC;
  const int64_t kblocks = (k + KC - 1) / KC;
  const int64_t groups = (panels + kPanelsPerTask - 1) / kPanelsPerTask;
  const int64_t tasks = mblocks * items_n * groups;
  const bool parallel =
      !omp_in_parallel() && tasks > 1 && static_cast<double>(m) * n * k * static_cast<double>(items_n) > kParallelMacs;
  // A is packed once, block (row block, k block) at a time, and shared by every task.
  float* apack = a_buffer().reserve(static_cast<size_t>(mblocks * kblocks * MC * KC));
  ParallelError errors;

#pragma omp parallel if (parallel)
  {
#pragma omp for schedule(dynamic)
    for (int64_t blk = 0; blk < mblocks * kblocks; ++blk) {
      const int64_t ic = (blk / kblocks) * MC, pc = (blk % kblocks) * KC;
      pack_a(apack + blk * MC * KC, a, ic, std::min(MC, m - ic), pc, std::min(KC, k - pc));
    }

    // C is split into independent tiles (MC rows × kPanelsPerTask·NR columns of one item); each task
    // packs its own B blocks and walks all of K. Tiles are handed out dynamically, so on a shared
    // machine a thread that loses its core only delays the tiles it holds.
    float* bpack = nullptr;
    errors.run([&] { bpack = b_buffer().reserve(static_cast<size_t>(KC * kPanelsPerTask * NR)); });
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < tasks; ++task) {
      if (bpack == nullptr) continue;  // this thread's buffer failed; the error is rethrown below
      const int64_t ib = task / (items_n * groups);
      const GemmItem& item = items[static_cast<size_t>((task / groups) % items_n)];
      const int64_t ic = ib * MC;
      const int64_t mc = std::min(MC, m - ic);
      const int64_t jp0 = (task % groups) * kPanelsPerTask;
      const int64_t jp1 = std::min(panels, jp0 + kPanelsPerTask);
      for (int64_t pb = 0; pb < kblocks; ++pb) {
        const int64_t pc = pb * KC;
        const int64_t kc = std::min(KC, k - pc);
        const float* ablock = apack + (ib * kblocks + pb) * MC * KC;
        for (int64_t jp = jp0; jp < jp1; ++jp)
          item.b->pack_panel(bpack + (jp - jp0) * kc * NR, pc, kc, jp * NR, std::min<int64_t>(NR, n - jp * NR));
        const bool acc = accumulate || pb > 0;
        for (int64_t jp = jp0; jp < jp1; ++jp) {
          const int nr = static_cast<int>(std::min<int64_t>(NR, n - jp * NR));
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
            micro_kernel(kc, ablock + ir * kc, bpack + (jp - jp0) * kc * NR, item.c + (ic + ir) * ldc + jp * NR, ldc,
                         mr, nr, acc);
          }
        }
      }
    }
  }
  errors.rethrow();
}

void sgemm(int64_t m, int64_t n, int64_t k, MatrixView a, const BPacker& b, float* c, int64_t ldc,
           bool accumulate) {
  sgemm(m, n, k, a, std::vector<GemmItem>{GemmItem{&b, c}}, ldc, accumulate);
}

void sgemm(int64_t m, int64_t n, int64_t k, MatrixView a, MatrixView b, float* c, int64_t ldc,
           bool accumulate) {
  sgemm(m, n, k, a, MatrixPacker(b), c, ldc, accumulate);
}

}  // namespace glide::cpu
